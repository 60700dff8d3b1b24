import Foundation
import Testing

/// Debian 12's OpenBLAS falls back to its SSE3 "Prescott" kernels on CPUs newer than it; the tool
/// re-executes itself with `OPENBLAS_CORETYPE=Haswell` where the CPU has AVX2 and FMA, and leaves a
/// kernel the user chose alone. `recbench version` prints the library's configuration, which
/// names the kernel in use.
@Suite struct BLASKernelTests {
    static var cpuHasAVX2FMA: Bool {
        guard let info = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
            let flags = info.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
        else { return false }
        let set = Set(flags.split(separator: " ").map(String.init))
        return set.contains("avx2") && set.contains("fma")
    }

    func openblasLine(environment: [String: String] = [:]) throws -> String {
        let out = try CLIProcess(
            try #require(recbenchBinary()), ["version"], environment: environment, removing: ["OPENBLAS_CORETYPE"]
        ).wait()
        #expect(out.status == 0, "\(out.stderr)")
        return try #require(out.stdout.split(separator: "\n").first { $0.hasPrefix("openblas ") }.map(String.init))
    }

    @Test(.enabled(if: recbenchBinary() != nil && cpuHasAVX2FMA))
    func anAVX2MachineNeverRunsTheGenericKernels() throws {
        let line = try openblasLine()
        #expect(!line.contains("Prescott"), "\(line)")
    }

    @Test(.enabled(if: recbenchBinary() != nil))
    func aKernelTheUserChoseIsKept() throws {
        #expect(try openblasLine(environment: ["OPENBLAS_CORETYPE": "Prescott"]).contains("Prescott"))
    }
}
