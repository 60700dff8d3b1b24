import Testing
@testable import RecbenchNN

/// The eight-lane helpers agree with their scalar forms, lane by lane.
@Suite struct FastMathTests {
    @Test func laneWiseMaxMinAndExp() {
        let a = SIMD8<Float>(-3, 0, 2.5, -0, 7, -100, 100, 1), b = SIMD8<Float>(1, -1, 2.5, 0, -7, 3, 99, 2)
        let hi = max8(a, b), lo = min8(a, b)
        for i in 0..<8 {
            #expect(hi[i] == max(a[i], b[i]) && lo[i] == min(a[i], b[i]))
        }
        // Lanes beyond ±87 are clamped like the scalar form; the rest match it bit for bit.
        let x = SIMD8<Float>(-100, -87, -3.25, 0, 0.5, 10, 87, 120), e = fastExp(x)
        for i in 0..<8 { #expect(e[i] == fastExp(x[i]), "lane \(i): \(e[i]) vs \(fastExp(x[i]))") }
    }
}
