import ArgumentParser
import RecbenchEval

extension SignificanceTest: ExpressibleByArgument {}

/// The significance options `compare`, `power`, `check` and `baseline save` share.
struct TestOptions: ParsableArguments {
    @Option(
        help: ArgumentHelp(
            "Test that decides significance (t, randomization, wilcoxon). Default t: it and the "
                + "randomization test hold their false-positive rate at recommender scale, Wilcoxon does not "
                + "(Ihemelandu & Ekstrand, SIGIR 2023).",
            valueName: "test"))
    var test: SignificanceTest = .default
    @Option(help: "Significance level α.") var alpha = Power.defaultAlpha

    func validate() throws {
        guard alpha > 0 && alpha < 1 else { throw ValidationError("--alpha must be in (0, 1)") }
    }
}
