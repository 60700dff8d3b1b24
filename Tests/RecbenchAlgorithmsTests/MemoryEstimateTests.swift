import Testing
import RecbenchCore
@testable import RecbenchAlgorithms
import RecbenchConfig

/// EASE in double precision on 1,000 items: the double inverse beside the Float B is 12 bytes per
/// item pair (12,000,000), plus the binarised copy of the training matrix — by user 8·(50 + 1) +
/// 8·2,000 = 16,408, by item 8·1,001 + 8·2,000 = 24,008, source order 8·2,000 = 16,000.
@Test func easeEstimateIsTheHandCountedBytes() {
    let shape = DataShape(users: 50, items: 1000, interactions: 2000)
    #expect(EASE.Config(["precision": .text("double")]).estimatedPeakBytes(shape) == 12_000_000 + 56_416)
    // Without binarisation nothing is copied.
    #expect(
        EASE.Config(["precision": .text("double"), "binary": .bool(false)]).estimatedPeakBytes(shape) == 12_000_000)
    // `auto` takes single precision above 20,000 items: 4 bytes per pair.
    let wide = DataShape(users: 50, items: 30_000, interactions: 2000)
    #expect(
        EASE.Config(["binary": .bool(false)]).estimatedPeakBytes(wide) == 30_000 * 30_000 * 4)
}

/// ImplicitALS with d = 10 on 100 users × 50 items, 1,000 interactions, 1 thread: factors
/// 4·150·10 = 6,000, confidences 8·1,000 = 8,000, Gram plus one thread's system 2·8·10·14 = 2,240.
@Test func implicitALSEstimateIsTheHandCountedBytes() {
    let shape = DataShape(users: 100, items: 50, interactions: 1000, threads: 1)
    #expect(ImplicitALS.Config(["factors": .int(10)]).estimatedPeakBytes(shape) == 16_240)
}

/// Every registered algorithm's estimate (at its defaults) is non-negative and never shrinks when
/// the data grows in any direction or more threads run: a sign slip or a swapped dimension in
/// any estimate shows here.
@Test(arguments: AlgorithmRegistry.all.map(\.name))
func estimatesGrowWithTheData(_ name: String) throws {
    let d = try #require(AlgorithmRegistry.descriptor(named: name))
    let values = ParameterValues(specs: d.parameters)
    let base = DataShape(users: 2000, items: 800, interactions: 40_000, featureColumns: 16, threads: 1)
    let b = d.estimatedPeakBytes(values, base)
    #expect(b >= 0)
    if name != "Random" { #expect(b > 0) }
    var grown = [base, base, base, base, base]
    grown[0].users *= 4; grown[1].items *= 4; grown[2].interactions *= 4; grown[3].featureColumns *= 4
    grown[4].threads = 4
    for g in grown { #expect(d.estimatedPeakBytes(values, g) >= b, "\(name) shrank on \(g)") }
}

@Test func bytesReadAsPeopleWriteThem() {
    #expect(TextFormat.bytes(512) == "512 B")
    #expect(TextFormat.bytes(1536) == "1.5 KiB")
    #expect(TextFormat.bytes(3 * 1_048_576 + 419_430) == "3.4 MiB")
    #expect(TextFormat.bytes(2_040_109_466) == "1.9 GiB")
    // Just under a unit rounds up into it rather than printing "1024.0 KiB".
    #expect(TextFormat.bytes(1_048_575) == "1.0 MiB")
}
