import Foundation
import Testing
import RecbenchCore
import RecbenchAlgorithms
@testable import RecbenchEval

/// The significance tests tested on recommender data: per-user NDCG@10 differences of EASE and
/// MostPopular on the five canonical ML-100K folds (every (fold, user) pair) are the raw material.
/// A true null is built from them by resampling users and flipping each difference's sign at random
/// (the differences' real shape, heavy zeros and skew included, but a mean and median of zero); the
/// false-positive rate at α = 0.05 over 2,000 replicates must fall inside the 99 % binomial interval
/// around 0.05 for the t-test and the randomization test. Wilcoxon's rate is printed as measured, and
/// so are the rates under a mean-only null and the power against a planted shift (1,000 replicates each).
/// Inside the simulation the randomization test draws 999 sign patterns instead of the 10⁴ used for
/// real: with the +1 correction the test is valid at any B (a smaller B only coarsens p to 0.001).
@Suite struct TestCalibrationTests {
    static let directory: String? = {
        guard let root = ProcessInfo.processInfo.environment["RECBENCH_DATA_DIR"] else { return nil }
        let dir = root + "/ml-100k"
        return FileManager.default.fileExists(atPath: dir + "/u1.base") ? dir : nil
    }()

    static let replicates = 2000
    static let simulationPermutations = 999
    static let alpha = 0.05

    /// EASE − MostPopular NDCG@10 for every (fold, user) pair of u1…u5.
    static func differences(_ dir: String) throws -> [Double] {
        let metrics = try MetricCatalog.parse(all: ["ndcg@10"]).get()
        var out = [Double]()
        for fold in 1...5 {
            let train = try MovieLensCheckTests.load("\(dir)/u\(fold).base")
            let test = try MovieLensCheckTests.load("\(dir)/u\(fold).test")
            let data = TrainingData(task: .ranking, interactions: train)
            let pop = MostPopular(config: MostPopular.Config(ParameterValues([:])))
            let ease = EASE(config: EASE.Config(ParameterValues(specs: EASE.Config.parameters)))
            try pop.fit(data, context: FitContext())
            try ease.fit(data, context: FitContext())
            let users = (0..<943).map { Int32($0) }
            func perUser(_ model: any Recommender) -> [Double] {
                let lists = ScoringCore.topK(
                    model: model, users: users, itemCount: 1682, k: 10,
                    exclude: [train.byUser], threads: 2)
                return Evaluator.ranking(lists: lists, test: test, train: train, metrics: metrics)["ndcg@10"]!.perUser!
            }
            out += zip(perUser(ease), perUser(pop)).map { $0 - $1 }
        }
        return out
    }

    /// Central 99 % interval of Binomial(n, p) as rates: the 0.5 % and 99.5 % quantiles over n.
    static func binomialInterval(n: Int, p: Double, level: Double = 0.99) -> (low: Double, high: Double) {
        var cdf = 0.0, low: Int?, high = n
        for k in 0...n {
            let logPMF: Double =
                lgamma(Double(n + 1)) - lgamma(Double(k + 1)) - lgamma(Double(n - k + 1))
                + Double(k) * log(p) + Double(n - k) * log(1 - p)
            cdf += exp(logPMF)
            if low == nil && cdf >= (1 - level) / 2 { low = k }
            if cdf >= 1 - (1 - level) / 2 { high = k; break }
        }
        return (Double(low ?? 0) / Double(n), Double(high) / Double(n))
    }

    /// Rejection rates of (t, randomization, Wilcoxon) over the replicates; `draw` makes replicate r's sample.
    static func rejectionRates(
        replicates: Int = TestCalibrationTests.replicates,
        _ draw: @escaping @Sendable (inout RandomSource) -> [Double]
    ) -> [Double] {
        var rejected = [[Bool]](repeating: [false, false, false], count: replicates)
        rejected.withUnsafeMutableBufferPointer { out in
            let slots = UncheckedSendable(out)
            parallelFor(count: replicates, threads: 2, grain: 25) { r in
                var rng = RandomSource(seed: 2023, stream: "replicate-\(r)")
                let d = draw(&rng)
                let zero = [Double](repeating: 0, count: d.count)
                slots.value[r] = [
                    Statistics.pairedTTest(d, zero).p < alpha,
                    Statistics.randomizationTest(
                        differences: d, permutations: simulationPermutations,
                        seed: rng.next()
                    ).p < alpha,
                    Statistics.wilcoxonSignedRank(d, zero).p < alpha
                ]
            }
        }
        return (0..<3).map { t in Double(rejected.filter { $0[t] }.count) / Double(replicates) }
    }

    @Test(.enabled(if: directory != nil)) func falsePositiveRatesAndPowerOnMovieLens() throws {
        let pool = try Self.differences(Self.directory!)
        let n = pool.count
        #expect(n == 3831)  // every (fold, user) pair with test items in u1.test … u5.test
        let zeros = pool.filter { $0 == 0 }.count
        print("calibration: \(n) (fold, user) differences, \(zeros) zero, mean \(Statistics.mean(pool))")

        // True null: resampled users, random signs.
        let signFlipped: @Sendable (inout RandomSource) -> [Double] = { rng in
            (0..<n).map { _ in
                let x = pool[rng.nextInt(below: n)]
                return rng.next() & 1 == 0 ? x : -x
            }
        }
        let null = Self.rejectionRates(signFlipped)
        let band = Self.binomialInterval(n: Self.replicates, p: Self.alpha)
        print(
            "false-positive rate at α = 0.05 over \(Self.replicates) replicates "
                + "(99 % band \(band.low)–\(band.high)): "
                + "t \(null[0]), randomization \(null[1]), Wilcoxon \(null[2])")
        #expect(null[0] >= band.low && null[0] <= band.high, "t-test false-positive rate \(null[0])")
        #expect(null[1] >= band.low && null[1] <= band.high, "randomization false-positive rate \(null[1])")

        // A null for the mean only: users resampled from the centred differences (mean 0, still skewed,
        // median not 0). Reported, not asserted: this is where the signed-rank test stops testing the mean.
        let centre = Statistics.mean(pool)
        let centred: @Sendable (inout RandomSource) -> [Double] = { rng in
            (0..<n).map { _ in pool[rng.nextInt(below: n)] - centre }
        }
        let skewed = Self.rejectionRates(replicates: 1000, centred)
        print(
            "rejection rate with mean 0 but skewed differences: t \(skewed[0]), randomization \(skewed[1]), "
                + "Wilcoxon \(skewed[2])")

        // Power against a planted shift: the minimum detectable effect at α = 0.05 and power 0.8 for n
        // pairs of this spread. The t-test's measured power must match the noncentral-t prediction
        // (inside the 99 % binomial band around it); the others are reported.
        let sd = (pool.reduce(0) { $0 + $1 * $1 } / Double(n)).squareRoot()  // spread of the sign-flipped population
        let shift = Power.minimumDetectableEffect(n: n, sd: sd)
        let predicted = Power.pairedT(n: Double(n), delta: shift, sd: sd)
        let shifted: @Sendable (inout RandomSource) -> [Double] = { rng in signFlipped(&rng).map { $0 + shift } }
        let power = Self.rejectionRates(replicates: 1000, shifted)
        let powerBand = Self.binomialInterval(n: 1000, p: predicted)
        print(
            "power against a shift of \(shift) (predicted \(predicted), "
                + "99 % band \(powerBand.low)–\(powerBand.high)): "
                + "t \(power[0]), randomization \(power[1]), Wilcoxon \(power[2])")
        #expect(abs(predicted - 0.8) < 1e-6)
        #expect(power[0] >= powerBand.low && power[0] <= powerBand.high, "t-test power \(power[0])")
    }
}
