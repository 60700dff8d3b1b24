/// What an attention model looked at when it scored one (user, item) pair: a weight per source,
/// where a source is one of its input fields (AutoInt: "user", "user:age", "history", "item:genre"…)
/// or one of the user's past items (DIN). `"outputs": {"attention": [user IDs]}` exports them.
public struct AttentionWeight: Sendable, Equatable {
    public enum Source: Sendable, Equatable {
        case field(String)
        case item(Int32)
    }
    public let source: Source
    public let weight: Float
    public init(_ source: Source, _ weight: Float) { self.source = source; self.weight = weight }
}

public protocol AttentionExplaining: Recommender {
    func attention(user: Int32, item: Int32) -> [AttentionWeight]
}
