import ArgumentParser
import RecbenchCore
import RecbenchGSL

struct Version: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print versions of Recbench and the libraries it runs on.")
    func run() throws {
        print("recbench \(SystemInfo.recbenchVersion)")
        print("swift \(SystemInfo.swiftVersion)")
        print("openblas \(BLAS.configuration)")
        print("gsl \(RecbenchGSL.GSL.version)")
    }
}
