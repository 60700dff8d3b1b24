import Foundation
import RecbenchCore
import RecbenchConfig

/// Search candidates in the trial cache: one checksummed file per candidate, beside the trials,
/// keyed by the search's data (the fingerprint of its training and validation parts), the
/// algorithm and complete parameters, the sample fraction, seed, selection metric and patience.
/// An interrupted search resumes from its finished candidates.
extension TrialCache {
    static let candidateMagic = "recbench-candidate 2"

    public static func candidateKey(
        spec: ExperimentSpec, datasetKey: String, fold: Int, searchData: String,
        candidate: SearchCandidate, algorithm: String, seed: UInt64, patience: Int?,
        threads: Int? = nil
    ) -> String {
        var parts = [
            candidateMagic, "recbench=" + SystemInfo.recbenchVersion, "task=" + spec.task.rawValue,
            "select=" + spec.select.label, "dataset=" + datasetKey, "fold=\(fold)", "search-data=" + searchData,
            "algorithm=" + algorithm, "parameters=" + candidate.values.canonical,
            "sample=\(candidate.sampleFraction)", "seed=\(seed)", "patience=\(patience.map(String.init) ?? "model")"
        ]
        // A thread-dependent model (BPR) is a different model at another thread count.
        if let threads { parts.append("threads=\(threads)") }
        if let r = spec.relevance.key { parts.append("relevance=" + r) }
        return SHA256Hasher.hex(parts.joined(separator: "\n"))
    }

    public func loadCandidate(_ key: String) -> CandidateOutcome? {
        guard mode == .use, let data = FileManager.default.contents(atPath: path(key)) else { return nil }
        return Self.value(CandidateOutcome.self, of: data, magic: Self.candidateMagic, key: key)
    }

    /// Stored like a trial (temporary file, rename), and subject to the same test-only fault injection.
    public func storeCandidate(_ o: CandidateOutcome, key: String) throws {
        guard mode != .off else { return }
        try write(try Self.entry(o, magic: Self.candidateMagic, key: key), key: key)
    }
}

/// How many search candidates the last run computed and took from the cache (thread-safe: the
/// searches of one fold may run at once).
public final class SearchCounts: @unchecked Sendable {
    private let lock = NSLock()
    private var computed = 0, reused = 0

    public var computedCandidates: Int { lock.lock(); defer { lock.unlock() }; return computed }
    public var reusedCandidates: Int { lock.lock(); defer { lock.unlock() }; return reused }

    func reset() { lock.lock(); computed = 0; reused = 0; lock.unlock() }
    func count(cached: Bool) { lock.lock(); if cached { reused += 1 } else { computed += 1 }; lock.unlock() }
}
