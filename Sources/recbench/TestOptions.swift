import ArgumentParser
import RecbenchEval

extension SignificanceTest: ExpressibleByArgument {}

/// The significance options `compare`, `power`, `check` and `baseline save` share.
struct TestOptions: ParsableArguments {
    @Option(help: ArgumentHelp("Test that decides significance (t, randomization, wilcoxon). Default t: it and the "
        + "randomization test hold their false-positive rate at recommender scale, Wilcoxon does not "
        + "(Ihemelandu & Ekstrand, SIGIR 2023).",
        valueName: "test"))
    var test: SignificanceTest = .default
    @Option(help: "Significance level α.") var alpha = Power.defaultAlpha

    /// Exits 2 with a one-line message on an α outside (0, 1).
    func check() {
        guard alpha > 0 && alpha < 1 else { fail(CLIError.usage("--alpha must be in (0, 1)")) }
    }
}
