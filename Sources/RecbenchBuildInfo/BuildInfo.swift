/// Facts fixed when Recbench was compiled. Its own module, so a new commit recompiles this file
/// and relinks, not the whole package.
public enum BuildInfo {
    /// The git commit the binary was built from (`-dirty` with uncommitted changes), "unknown"
    /// when built outside a git checkout.
    public static var commit: String { generatedBuildCommit }
}
