import Foundation
import Dispatch
import RecbenchCore
import RecbenchData
import RecbenchAlgorithms
import RecbenchEval
import RecbenchGSL
import RecbenchConfig

/// Preparing a data set: load (or generate), filter, split, fingerprint — once per data set of a run.
extension Runner {

    /// Problems of the data or the split surface as FILE:LINE: field: message (see `PreparePhase`).
    public func prepare(_ ds: DatasetSpec) throws -> PreparedDataset {
        var phase = PreparePhase.load
        do { return try prepare(ds, phase: &phase) } catch { throw locate(error, dataset: ds, phase: phase) }
    }

    func prepare(_ ds: DatasetSpec, phase: inout PreparePhase) throws -> PreparedDataset {
        var clock = Stopwatch()
        var dataset: Dataset, report = LoadReport(skippedLines: 0, problems: []), directory: String?
        var splitLayout = SplitFileLayout.pairs
        var foldLabels: FoldFileLabels?
        switch ds.source {
        case let .synthetic(config):
            dataset = SyntheticData.generate(config)
            dataset.name = ds.label
        case let .file(path, format):
            let format = try format ?? DelimitedFormat.implied(forFile: resolve(path))
            (dataset, report) = try DelimitedLoader.load(
                path: resolve(path), format: format, name: ds.label, policy: ds.malformed)
            directory = PathText.folder(of: resolve(path))
        case let .folds(declared, format):
            let pairs = (1...(declared.folds ?? 1)).map { f in
                func path(_ pattern: String) -> String {
                    resolve(pattern.replacingOccurrences(of: "{fold}", with: String(f)))
                }
                return PredefinedPair(
                    base: path(declared.base), test: path(declared.test), validation: declared.validation.map(path))
            }
            let labels: FoldFileLabels
            (dataset, report, labels) = try FoldFilesLoader.load(
                folds: pairs, format: format, name: ds.label, policy: ds.malformed)
            foldLabels = labels
        case let .registry(name, explicit):
            guard let registry = data.registry, let entry = registry.entry(named: name) else {
                throw RecbenchError.invalid("data set \"\(name)\" is not in the registry")
            }
            let dir = try registry.resolve(
                name, explicitPath: explicit.map(resolve), environment: data.environment,
                cacheDirectory: data.cacheDirectory)
            (dataset, report) = try DatasetRegistry.load(entry, directory: dir, policy: ds.malformed)
            directory = dir
            if entry.format == "adjacency" { splitLayout = .adjacency }
        }
        let loadSeconds = clock.lap()
        phase = .filter
        let loaded = dataset.count

        dataset = Filters.deduplicate(dataset, policy: ds.filters.duplicates)
        if let min = ds.filters.minRating {
            dataset = Filters.ratingThreshold(dataset, minimum: min, binarize: ds.filters.binarize)
        }
        if ds.filters.minUserInteractions > 0 || ds.filters.minItemInteractions > 0 {
            dataset = Filters.kCore(
                dataset, minUserInteractions: ds.filters.minUserInteractions,
                minItemInteractions: ds.filters.minItemInteractions)
        }
        guard dataset.count > 0 else {
            throw RecbenchError.invalid("no interactions left after filtering (\(loaded) loaded)")
        }
        let filterSeconds = clock.lap()
        phase = .split

        var method = SplitMethod.kFold(k: 2)
        switch spec.split {
        case let .method(m): method = m
        case .predefined where foldLabels != nil: break
        case let .predefined(base, test, validation, folds):
            guard let directory else {
                throw RecbenchError.invalid(
                    "data set \"\(ds.label)\": a predefined split needs a data set read from a folder, not generated data"
                )
            }
            method = .predefined(
                files: (1...folds).map { f in
                    func path(_ name: String) -> String {
                        (directory as NSString).appendingPathComponent(
                            name.replacingOccurrences(of: "{fold}", with: String(f)))
                    }
                    return PredefinedPair(
                        base: path(base), test: path(test), validation: validation.map(path), layout: splitLayout)
                })
        }
        let folds =
            try foldLabels?.folds(for: dataset)
            ?? Splitter.folds(dataset, method: method, seed: Self.derivedSeed(spec.seed, "split|\(ds.label)"))
        let splitSeconds = clock.lap()
        // A fold without test interactions has no user to evaluate: every metric would be blank.
        if let empty = folds.firstIndex(where: { $0.test.isEmpty }) {
            throw RecbenchError.invalid(
                "fold \(empty + 1) of \(folds.count) has no test interactions, so no user can "
                    + "be evaluated (\(dataset.count) interactions of \(dataset.userCount) users)")
        }

        var fp = SHA256Hasher()
        for f in folds {
            fp.update("fold \(f.index)|test:"); TrialCache.hashPositions(f.test, into: &fp)
            fp.update("|validation:"); TrialCache.hashPositions(f.validation, into: &fp)
        }
        let record = DatasetRecord(
            label: ds.label, users: dataset.userCount, items: dataset.itemCount, interactions: dataset.count,
            folds: folds.count, dataFingerprint: Self.fingerprint(dataset), splitFingerprint: fp.finalize(),
            sources: dataset.sources, skippedLines: report.skippedLines,
            loadSeconds: loadSeconds, filterSeconds: filterSeconds, splitSeconds: splitSeconds)
        return PreparedDataset(spec: ds, dataset: dataset, folds: folds, record: record)
    }

    static func derivedSeed(_ seed: UInt64, _ stream: String) -> UInt64 {
        var r = RandomSource(seed: seed, stream: stream); return r.next()
    }

    /// SHA-256 over the interaction columns with external IDs, so it names the content, not the file layout.
    static func fingerprint(_ d: Dataset) -> String {
        var h = SHA256Hasher()
        h.update("users:"); h.update(d.userIDs.externalIDs.joined(separator: "\u{1f}"))
        h.update("|items:"); h.update(d.itemIDs.externalIDs.joined(separator: "\u{1f}"))
        d.users.withUnsafeBytes { h.update($0) }
        d.items.withUnsafeBytes { h.update($0) }
        d.values.withUnsafeBytes { h.update($0) }
        d.timestamps?.withUnsafeBytes { h.update($0) }
        return h.finalize()
    }

    func resolve(_ path: String) -> String {
        path.hasPrefix("/") ? path : (data.baseDirectory as NSString).appendingPathComponent(path)
    }
}
