import Testing
@testable import RecbenchCore

/// A random symmetric positive-definite n × n matrix GᵀG/(2n) + 0.1·I (G of 2n × n standard normal
/// entries), row-major: eigenvalues near [0.19, 3.0], condition number ≈ 16.
private func spd<T: LAPACKScalar>(_ n: Int, seed: UInt64, as _: T.Type) -> [T] {
    var random = RandomSource(seed: seed)
    let m = 2 * n
    let g = (0..<(m * n)).map { _ in random.nextGaussian() }
    var a = [T](repeating: 0, count: n * n)
    for i in 0..<n {
        for j in 0...i {
            var s = 0.0
            for r in 0..<m { s += g[r * n + i] * g[r * n + j] }
            let v = T(s / Double(m) + (i == j ? 0.1 : 0))
            a[i * n + j] = v; a[j * n + i] = v
        }
    }
    return a
}

/// max |(X · A − I)_ij|
private func residual<T: LAPACKScalar>(_ x: [T], _ a: [T], _ n: Int) -> Double {
    var worst = 0.0
    for i in 0..<n {
        for j in 0..<n {
            var s = 0.0
            for k in 0..<n { s += Double(x[i * n + k]) * Double(a[k * n + j]) }
            worst = max(worst, abs(s - (i == j ? 1 : 0)))
        }
    }
    return worst
}

private func blocked<T: LAPACKScalar>(_ a: [T], _ n: Int, threads: Int, block: Int) throws -> [T] {
    var x = a
    try x.withUnsafeMutableBufferPointer {
        try BlockedCholesky.invert(n: n, a: $0.baseAddress!, threads: threads, blockSize: block)
    }
    return x
}

private func serial<T: LAPACKScalar>(_ a: [T], _ n: Int) throws -> [T] {
    var x = a
    try x.withUnsafeMutableBufferPointer { try LAPACK.symmetricInverse(n: n, a: $0.baseAddress!) }
    return x
}

@Suite struct BlockedCholeskyTests {
    /// Sizes that are not multiples of the block (a last partial tile), one smaller than a block, and
    /// one of a single element; double precision against LAPACK's potrf + potri and against A.
    @Test(arguments: [(1, 16), (13, 16), (70, 16), (131, 32), (300, 256)])
    func doubleMatchesLAPACK(n: Int, block: Int) throws {
        let a = spd(n, seed: UInt64(n), as: Double.self)
        let x = try blocked(a, n, threads: 2, block: block), reference = try serial(a, n)
        let scale = reference.map(abs).max()!
        let difference = zip(x, reference).map { abs($0 - $1) }.max()!
        #expect(difference <= 1e-11 * scale)
        #expect(residual(x, a, n) < 1e-11)
        // Symmetric on return, both triangles filled.
        for i in 0..<n { for j in 0..<i { #expect(x[i * n + j] == x[j * n + i]) } }
    }

    /// Single precision: rounding of order n · ε · cond (ε = 6·10⁻⁸, cond ≈ 16).
    @Test(arguments: [(45, 16), (131, 32)])
    func singleMatchesLAPACK(n: Int, block: Int) throws {
        let a = spd(n, seed: UInt64(100 + n), as: Float.self)
        let x = try blocked(a, n, threads: 2, block: block), reference = try serial(a, n)
        let scale = reference.map(abs).max()!
        let difference = zip(x, reference).map { abs($0 - $1) }.max()!
        #expect(difference <= 1e-4 * scale)
        #expect(residual(x, a, n) < 2e-4)
    }

    /// The tiles depend on n and the block only, so the bits do not depend on the thread count.
    @Test func identicalAtAnyThreadCount() throws {
        let n = 157
        let a = spd(n, seed: 7, as: Float.self), d = spd(n, seed: 8, as: Double.self)
        let one = try blocked(a, n, threads: 1, block: 24)
        #expect(try blocked(a, n, threads: 2, block: 24) == one)
        #expect(try blocked(a, n, threads: 3, block: 24) == one)
        #expect(try blocked(d, n, threads: 1, block: 24) == blocked(d, n, threads: 2, block: 24))
    }

    /// A matrix whose leading minor of order 45 is the first that is not positive definite fails
    /// like LAPACK's potrf: the same routine name and info, in both precisions, whichever tile holds it.
    @Test(arguments: [16, 45, 64])
    func notPositiveDefiniteFailsLikeLAPACK(block: Int) throws {
        let n = 70
        var a = spd(n, seed: 3, as: Double.self)
        a[44 * n + 44] = -1
        var serialInfo = -1, blockedInfo = -2
        do { _ = try serial(a, n) } catch let f as LAPACK.Failure {
            serialInfo = f.info; #expect(f.routine == "dpotrf")
        }
        do { _ = try blocked(a, n, threads: 2, block: block) } catch let f as LAPACK.Failure {
            blockedInfo = f.info; #expect(f.routine == "dpotrf")
        }
        #expect(serialInfo == 45 && blockedInfo == 45)
        let s = a.map(Float.init)
        #expect(throws: LAPACK.Failure.self) { try blocked(s, n, threads: 1, block: block) }
    }
}
