import ArgumentParser
import Foundation
import RecbenchCore
import RecbenchData
import RecbenchAlgorithms
import RecbenchEval
import RecbenchReport
import RecbenchConfig
import RecbenchBench

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Speed measurements: the scoring core, and one algorithm's fit and top-K on a data file.",
        discussion: HelpText.reflow(
            """
            Build with `swift build -c release` first; debug builds are many times slower.

              recbench bench scoring --users 100000 --items 50000 --dim 64 --k 10 --threads 2
              recbench bench fit ImplicitALS --data /tmp/ml100k.tsv --param factors=64 --param iterations=15 --threads 2

            Both print one human-readable block and one `result …` line of key=value pairs for scripts
            (Benchmarks/peers/run_peers.sh reads it).
            """),
        subcommands: [Scoring.self, Fit.self]
    )

    static func format(_ v: Double, _ digits: Int = 3) -> String { String(format: "%.\(digits)f", v) }

    struct Scoring: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fused top-K scoring of synthetic factors, against a plain sgemm of the same shape.",
            discussion: HelpText.reflow(
                """
                Draws uniform random user and item factors (and an item bias) and `--seen` random
                excluded items per user, then times ScoringCore.topK(factors:…) for every user
                (`--repeat` times, best kept). GFLOP/s counts 2 · users · items · dim.

                The reference is OpenBLAS's sgemm on the same shape with `--threads` threads (its own
                threading), run in row chunks of 1024 users into one reused 1024 × items buffer (the
                whole users × items product would not fit in memory), over min(users, --reference-users)
                users; its rate is what "% of sgemm" compares with. Both are measured in this process.
                """))
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

        var benchmark: ScoringBenchmark {
            var b = ScoringBenchmark()
            b.users = users; b.items = items; b.dim = dim; b.k = k; b.threads = threads; b.seen = seen
            b.tile = ScoringTile(users: tileUsers, items: tileItems); b.repetitions = `repeat`
            b.referenceUsers = referenceUsers; b.seed = UInt64(max(0, seed))
            return b
        }

        func validate() throws {
            if let problem = benchmark.problem { throw ValidationError(problem) }
        }

        func run() throws {
            let m = benchmark.run()
            let f = Bench.format
            print(
                """
                scoring  \(users) users × \(items) items × \(dim) dims, K = \(k), \(threads) threads, \(seen) seen/user, tile \(tileUsers)×\(tileItems)
                  fused top-K    \(f(m.seconds, 3)) s   \(f(m.gflops, 1)) GFLOP/s   \(f(Double(users) / m.seconds, 0)) users/s   \(f(100 * m.scoredFraction, 1)) % of the scores computed
                  plain sgemm    \(f(m.referenceGflops, 1)) GFLOP/s (\(m.referenceUsers) users in chunks of \(m.chunk))
                  ratio          \(f(100 * m.gflops / m.referenceGflops, 1)) % of sgemm (wall time)
                  per CPU second \(f(m.cpuGflops, 1)) vs \(f(m.referenceCPUGflops, 1)) GFLOP/CPU-s: \(f(100 * m.cpuGflops / m.referenceCPUGflops, 1)) % (OpenBLAS threads spin while idle, which favours the fused side at --threads > 1)
                  peak RSS growth during scoring: \(f(Double(m.extraBytes) / 1048576, 1)) MiB (output lists \(f(Double(users * k * 8) / 1048576, 1)) MiB)
                """)
            print(
                "result bench=scoring users=\(users) items=\(items) dim=\(dim) k=\(k) threads=\(threads) seconds=\(f(m.seconds, 4)) gflops=\(f(m.gflops, 2)) users_per_s=\(f(Double(users) / m.seconds, 0)) sgemm_gflops=\(f(m.referenceGflops, 2)) ratio=\(f(m.gflops / m.referenceGflops, 4)) cpu_ratio=\(f(m.cpuGflops / m.referenceCPUGflops, 4)) scored=\(f(m.scoredFraction, 4))"
            )
        }
    }

    struct Fit: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Fit one algorithm on a TSV file, then top-K for every user (seen items excluded).",
            discussion: HelpText.reflow(
                """
                The file is what `recbench datasets export` writes (header `user item rating timestamp`,
                tab-separated), or with `--format adjacency` an adjacency list (`USER ITEM ITEM …` a line,
                as gowalla-lightgcn/train.txt). All interactions train the model (no split): this measures
                speed. Prints load, fit and scoring times, interactions/s and users/s. With `--test FILE`
                (held-out interactions of the same users) it also prints NDCG@K and recall@K of the lists,
                so a comparison with another library shows both trained a model of the same quality.

                Exit status: 0 success; 1 the model failed to fit; 2 invalid input.
                """))
        @Argument(help: "Algorithm name (see `recbench algorithms`).") var algorithm: String
        @Option(help: "TSV file from `recbench datasets export`, or an adjacency list with --format adjacency.")
        var data: String
        @Option(help: "tsv | adjacency.") var format: FitBenchmark.Format = .tsv
        @Option(
            help: ArgumentHelp(
                "Held-out interactions in the same format: adds NDCG@K and recall@K of the lists "
                    + "(pairs whose user or item the training file lacks are dropped).", valueName: "file"))
        var test: String?
        @Option(
            name: .customLong("param"),
            help: ArgumentHelp("A parameter, name=value (repeatable).", valueName: "name=value"))
        var params: [String] = []
        @Option(help: "Threads.") var threads = 1
        @Option(help: "List length K.") var k = 10
        @Option(help: "Seed.") var seed = 42

        func validate() throws {
            guard let d = AlgorithmRegistry.descriptor(named: algorithm) else {
                throw ValidationError(
                    "no algorithm \"\(algorithm)\"; known: \(AlgorithmRegistry.all.map(\.name).joined(separator: ", "))"
                )
            }
            do { _ = try FitBenchmark.parameters(params, of: d) } catch {
                throw ValidationError(SystemError.describe(error))
            }
            guard threads > 0, k > 0, seed >= 0 else {
                throw ValidationError("--threads and --k must be positive, --seed ≥ 0")
            }
        }

        func run() throws {
            let descriptor = AlgorithmRegistry.descriptor(named: algorithm)!
            var b = FitBenchmark(
                descriptor: descriptor, parameters: try FitBenchmark.parameters(params, of: descriptor), data: data)
            b.format = format; b.test = test; b.threads = threads; b.k = k; b.seed = UInt64(seed)
            let m: FitBenchmark.Measurement
            do { m = try b.run() } catch let e as FitBenchmark.FitFailed {
                throw CommandFailure(e, code: ExitStatus.failed)
            }
            let f = Bench.format
            print(
                """
                \(algorithm) (\(b.parameters.canonical)) on \(data): \(m.interactions) interactions, \(m.users) users, \(m.items) items, \(threads) threads
                  load   \(f(m.loadSeconds, 3)) s   peak RSS \(f(Double(m.loadPeakBytes) / 1048576, 1)) MiB for \(f(Double(m.columnBytes) / 1048576, 1)) MiB of columns
                  fit    \(f(m.fitSeconds, 3)) s   \(f(Double(m.interactions) / m.fitSeconds, 0)) interactions/s
                  top-\(k) \(f(m.topKSeconds, 3)) s   \(f(Double(m.users) / m.topKSeconds, 0)) users/s (all users, seen items excluded; \(f(100 * m.scoredFraction, 1)) % of the scores computed)
                  peak RSS \(f(Double(m.peakResidentBytes) / 1048576, 1)) MiB
                """)
            let q = m.quality
            if let q {
                print("  NDCG@\(k) \(f(q.ndcg, 4))   recall@\(k) \(f(q.recall, 4))   over \(q.users) test users")
            }
            let scores = q.map { " ndcg=\(f($0.ndcg, 6)) recall=\(f($0.recall, 6)) test_users=\($0.users)" } ?? ""
            print(
                "result bench=fit algorithm=\(algorithm) threads=\(threads) interactions=\(m.interactions) users=\(m.users) items=\(m.items) load_seconds=\(f(m.loadSeconds, 4)) load_peak_mib=\(f(Double(m.loadPeakBytes) / 1048576, 1)) column_mib=\(f(Double(m.columnBytes) / 1048576, 1)) fit_seconds=\(f(m.fitSeconds, 4)) topk_seconds=\(f(m.topKSeconds, 4)) scored=\(f(m.scoredFraction, 4))\(scores)"
            )
        }
    }
}

extension FitBenchmark.Format: ExpressibleByArgument {}
