import ArgumentParser
import Foundation
import RecbenchCore
import RecbenchData
import RecbenchAlgorithms
import RecbenchEval
import RecbenchReport
import RecbenchConfig

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Speed measurements: the scoring core, and one algorithm's fit and top-K on a data file.",
        discussion: """
        Build with `swift build -c release` first; debug builds are many times slower.

          recbench bench scoring --users 100000 --items 50000 --dim 64 --k 10 --threads 2
          recbench bench fit ImplicitALS --data /tmp/ml100k.tsv --param factors=64 --param iterations=15 --threads 2

        Both print one human-readable block and one `result …` line of key=value pairs for scripts
        (Benchmarks/peers/run_peers.sh reads it).
        """,
        subcommands: [Scoring.self, Fit.self]
    )

    /// Seconds of wall time taken by body.
    static func time(_ body: () -> Void) -> Double {
        let t0 = DispatchTime.now().uptimeNanoseconds
        body()
        return Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9
    }

    /// CPU seconds (user + system) of the whole process so far: under a shared machine's load this
    /// moves less than wall time, so the bench reports both.
    static func cpuSeconds() -> Double {
        var u = rusage()
        #if os(Linux)
        getrusage(RUSAGE_SELF.rawValue, &u)
        #else
        getrusage(RUSAGE_SELF, &u)
        #endif
        func s(_ t: timeval) -> Double { Double(t.tv_sec) + Double(t.tv_usec) / 1e6 }
        return s(u.ru_utime) + s(u.ru_stime)
    }

    static func format(_ v: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", v) }

    struct Scoring: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fused top-K scoring of synthetic factors, against a plain sgemm of the same shape.",
            discussion: """
            Draws uniform random user and item factors (and an item bias) and `--seen` random
            excluded items per user, then times ScoringCore.topK(factors:…) for every user
            (`--repeat` times, best kept). GFLOP/s counts 2 · users · items · dim.

            The reference is OpenBLAS's sgemm on the same shape with `--threads` threads (its own
            threading), run in row chunks of 1024 users into one reused 1024 × items buffer (the
            whole users × items product would not fit in memory), over min(users, --reference-users)
            users; its rate is what "% of sgemm" compares with. Both are measured in this process.
            """)
        @Option(help: "Users scored.") var users = 100_000
        @Option(help: "Items in the catalogue.") var items = 50_000
        @Option(help: "Factor dimension.") var dim = 64
        @Option(help: "List length K.") var k = 10
        @Option(help: "Threads.") var threads = 2
        @Option(help: "Random excluded (seen) items per user.") var seen = 20
        @Option(help: "Tile users (block height).") var tileUsers = ScoringTile().users
        @Option(help: "Tile items (block width).") var tileItems = ScoringTile().items
        @Option(help: "Timed repetitions of each measurement; the best is reported.") var `repeat` = 2
        @Option(help: "Most users in the sgemm reference.") var referenceUsers = 16_384
        @Option(help: "Seed of the synthetic factors.") var seed = 42

        func validate() throws {
            guard users > 0, items > 0, dim > 0, k > 0, threads > 0, seen >= 0, seen < items, tileUsers > 0,
                  tileItems > 0, `repeat` > 0, referenceUsers > 0 else {
                throw ValidationError("every size must be positive, and --seen below --items")
            }
        }

        func run() throws {
            var rng = RandomSource(seed: UInt64(seed))
            let uf = DenseMatrix(rows: users, columns: dim, values: (0..<(users * dim)).map { _ in Float(rng.nextDouble()) - 0.5 })
            let itf = DenseMatrix(rows: items, columns: dim, values: (0..<(items * dim)).map { _ in Float(rng.nextDouble()) - 0.5 })
            let bias = (0..<items).map { _ in Float(rng.nextDouble()) * 0.1 }
            let f = LatentFactors(users: uf, items: itf, itemBias: bias)
            // Seen items: `seen` distinct random items per user, as a CSR exclusion matrix.
            var su = [Int32](), si = [Int32]()
            su.reserveCapacity(users * seen); si.reserveCapacity(users * seen)
            for u in 0..<users {
                var row = Set<Int32>()
                while row.count < seen { row.insert(Int32(rng.nextInt(below: items))) }
                for i in row { su.append(Int32(u)); si.append(i) }
            }
            let exclude = InteractionMatrix(userCount: users, itemCount: items, users: su, items: si,
                                            values: [Float](repeating: 1, count: su.count), timestamps: nil).byUser
            let ids = (0..<users).map { Int32($0) }
            let tile = ScoringTile(users: tileUsers, items: tileItems)
            let flops = 2.0 * Double(users) * Double(items) * Double(dim)

            SystemInfo.resetPeakMemory()
            let rssBefore = SystemInfo.peakResidentBytes() ?? 0
            var best = Double.infinity, bestCPU = Double.infinity
            var lists: RankedLists?
            for _ in 0..<`repeat` {
                let c0 = Bench.cpuSeconds()
                defer { bestCPU = min(bestCPU, Bench.cpuSeconds() - c0) }
                best = min(best, Bench.time {
                    lists = ScoringCore.topK(factors: f, users: ids, k: k, exclude: [exclude], threads: threads, tile: tile)
                })
            }
            let rssAfter = SystemInfo.peakResidentBytes() ?? 0
            precondition(lists!.items.count == users * k)

            // Plain sgemm, same shape, OpenBLAS threading.
            let refUsers = min(users, referenceUsers), chunk = min(1024, refUsers)
            var c = [Float](repeating: 0, count: chunk * items)
            let saved = BLAS.threads
            BLAS.setThreads(threads)
            var refBest = Double.infinity, refCPU = Double.infinity
            for _ in 0..<`repeat` {
                let c0 = Bench.cpuSeconds()
                defer { refCPU = min(refCPU, Bench.cpuSeconds() - c0) }
                refBest = min(refBest, Bench.time {
                    uf.values.withUnsafeBufferPointer { a in itf.values.withUnsafeBufferPointer { b in
                        c.withUnsafeMutableBufferPointer { c in
                            var lo = 0
                            while lo < refUsers {
                                let m = min(chunk, refUsers - lo)
                                BLAS.sgemm(transB: true, m: m, n: items, k: dim, a: a.baseAddress! + lo * dim, lda: dim,
                                           b: b.baseAddress!, ldb: dim, c: c.baseAddress!, ldc: items)
                                lo += m
                            }
                        }
                    } }
                })
            }
            BLAS.setThreads(saved)
            let refRate = 2.0 * Double(refUsers) * Double(items) * Double(dim) / refBest / 1e9
            let rate = flops / best / 1e9
            let refCPURate = 2.0 * Double(refUsers) * Double(items) * Double(dim) / refCPU / 1e9
            let cpuRate = flops / bestCPU / 1e9
            let extraMiB = Double(max(0, rssAfter - rssBefore)) / 1048576
            print("""
            scoring  \(users) users × \(items) items × \(dim) dims, K = \(k), \(threads) threads, \(seen) seen/user, tile \(tileUsers)×\(tileItems)
              fused top-K    \(Bench.format(best)) s   \(Bench.format(rate, 1)) GFLOP/s   \(Bench.format(Double(users) / best, 0)) users/s
              plain sgemm    \(Bench.format(refRate, 1)) GFLOP/s (\(refUsers) users in chunks of \(chunk))
              ratio          \(Bench.format(100 * rate / refRate, 1)) % of sgemm (wall time)
              per CPU second \(Bench.format(cpuRate, 1)) vs \(Bench.format(refCPURate, 1)) GFLOP/CPU-s: \(Bench.format(100 * cpuRate / refCPURate, 1)) % (OpenBLAS threads spin while idle, which favours the fused side at --threads > 1)
              peak RSS growth during scoring: \(Bench.format(extraMiB, 1)) MiB (output lists \(Bench.format(Double(users * k * 8) / 1048576, 1)) MiB)
            """)
            print("result bench=scoring users=\(users) items=\(items) dim=\(dim) k=\(k) threads=\(threads) seconds=\(Bench.format(best, 4)) gflops=\(Bench.format(rate, 2)) users_per_s=\(Bench.format(Double(users) / best, 0)) sgemm_gflops=\(Bench.format(refRate, 2)) ratio=\(Bench.format(rate / refRate, 4)) cpu_ratio=\(Bench.format(cpuRate / refCPURate, 4))")
        }
    }

    struct Fit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fit one algorithm on a TSV file, then top-K for every user (seen items excluded).",
            discussion: """
            The file is what `recbench datasets export` writes (header `user item rating timestamp`,
            tab-separated), or with `--format adjacency` an adjacency list (`USER ITEM ITEM …` a line,
            as gowalla-lightgcn/train.txt). All interactions train the model (no split): this measures
            speed, not accuracy. Prints load, fit and scoring times, interactions/s and users/s.
            """)
        @Argument(help: "Algorithm name (see `recbench algorithms`).") var algorithm: String
        @Option(help: "TSV file from `recbench datasets export`, or an adjacency list with --format adjacency.") var data: String
        @Option(help: "tsv | adjacency.") var format = "tsv"
        @Option(name: .customLong("param"), help: ArgumentHelp("A parameter, name=value (repeatable).", valueName: "name=value"))
        var params: [String] = []
        @Option(help: "Threads.") var threads = 1
        @Option(help: "List length K.") var k = 10
        @Option(help: "Seed.") var seed = 42

        func run() throws {
            guard let descriptor = AlgorithmRegistry.descriptor(named: algorithm) else {
                fail(CLIError.usage("no algorithm \"\(algorithm)\"; known: \(AlgorithmRegistry.all.map(\.name).joined(separator: ", "))"))
            }
            var overrides = [String: ParameterValue]()
            for p in params {
                let parts = p.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, let spec = descriptor.parameters.first(where: { $0.name == parts[0] }) else {
                    fail(CLIError.usage("--param \(p): expected name=value with a parameter of \(algorithm) (\(descriptor.parameters.map(\.name).joined(separator: ", ")))"))
                }
                let raw = parts[1]
                let candidates: [ParameterValue] = [Int(raw).map { .int($0) }, Double(raw).map { .real($0) },
                                                    Bool(raw).map { .bool($0) }, .text(raw)].compactMap { $0 }
                guard let v = candidates.lazy.compactMap({ spec.check($0) }).first else {
                    fail(CLIError.usage("--param \(p): \(spec.name) must be \(spec.expectation)"))
                }
                overrides[spec.name] = v
            }
            let values = ParameterValues(specs: descriptor.parameters, overrides: overrides)
            for rule in descriptor.constraints {
                if let problem = rule.violation(values) { fail(CLIError.usage("--param: \(problem)")) }
            }
            guard ["tsv", "adjacency"].contains(format) else { fail(CLIError.usage("--format must be tsv or adjacency, got \(format)")) }
            let tsv = DelimitedFormat(separator: "\t", header: true, user: "user", item: "item", rating: "rating")
            var dataset: Dataset?
            let loadSeconds = Bench.time {
                do {
                    dataset = format == "adjacency" ? try AdjacencyLoader.load(paths: [data], name: "bench", ordered: true).0
                        : try DelimitedLoader.load(path: data, format: tsv, name: "bench").0
                } catch { fail(error) }
            }
            let d = dataset!
            let train = d.matrix()
            let model = descriptor.make(ParameterValues(specs: descriptor.parameters, overrides: overrides))
            let context = FitContext(threads: threads, seed: UInt64(seed))
            SystemInfo.resetPeakMemory()
            var fitError: Error?
            let fitSeconds = Bench.time {
                do { try model.fit(TrainingData(task: .ranking, interactions: train), context: context) } catch { fitError = error }
            }
            if let fitError { fail(fitError, code: 1) }
            let users = (0..<d.userCount).map { Int32($0) }
            var lists: RankedLists?
            let scoreSeconds = Bench.time {
                lists = ScoringCore.topK(model: model, users: users, itemCount: d.itemCount, k: k, exclude: [train.byUser], threads: threads)
            }
            precondition(lists!.items.count == users.count * k)
            let rss = Double(SystemInfo.peakResidentBytes() ?? 0) / 1048576
            let setting = ParameterValues(specs: descriptor.parameters, overrides: overrides).canonical
            print("""
            \(algorithm) (\(setting)) on \(data): \(d.count) interactions, \(d.userCount) users, \(d.itemCount) items, \(threads) threads
              load   \(Bench.format(loadSeconds)) s
              fit    \(Bench.format(fitSeconds)) s   \(Bench.format(Double(d.count) / fitSeconds, 0)) interactions/s
              top-\(k) \(Bench.format(scoreSeconds)) s   \(Bench.format(Double(users.count) / scoreSeconds, 0)) users/s (all users, seen items excluded)
              peak RSS \(Bench.format(rss, 1)) MiB
            """)
            print("result bench=fit algorithm=\(algorithm) threads=\(threads) interactions=\(d.count) users=\(d.userCount) items=\(d.itemCount) fit_seconds=\(Bench.format(fitSeconds, 4)) topk_seconds=\(Bench.format(scoreSeconds, 4))")
        }
    }
}
