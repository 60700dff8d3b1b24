import Testing
@testable import RecbenchCore

/// One edit distance serves every "did you mean" (keys, parameters, metrics, data sets).
@Test func suggestionsUseOptimalStringAlignment() {
    #expect(Suggestion.distance("kitten", "sitting") == 3)  // k→s, e→i, +g
    #expect(Suggestion.distance("", "abc") == 3 && Suggestion.distance("abc", "") == 3)
    #expect(Suggestion.distance("ndgc", "ndcg") == 1)  // one adjacent transposition
    #expect(Suggestion.distance("ca", "abc") == 3)  // OSA, not Damerau: no edit inside a transposed pair
    #expect(Suggestion.closest(to: "ndgc", in: ["ndcg", "map", "mrr"]) == "ndcg")
    #expect(Suggestion.closest(to: "Recal", in: ["recall", "rmse"]) == "recall")
    #expect(Suggestion.closest(to: "zzzzzz", in: ["ndcg", "map"]) == nil)
    #expect(Suggestion.hint(for: "facotrs", in: ["factors", "alpha"]) == " (did you mean \"factors\"?)")
    #expect(Suggestion.hint(for: "xyz", in: ["factors"]) == "")
}
