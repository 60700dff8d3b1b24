import Foundation
import Testing
@testable import RecbenchConfig

/// The experiment file's vocabulary is declared once (`Vocabulary`); these tests walk every
/// declaration and check that the validator and the schema both follow it, so a key added,
/// re-bounded or renamed in one place only fails here.

/// A block of the file, where it sits, and how to build a document around members of it.
struct Placement: Sendable {
    let title: String
    let fields: [Field]
    /// The field path of the block in messages ("" for the top level).
    let path: String
    /// The document with `members` (JSON text of the block's members, without braces) in place.
    let document: @Sendable (String) -> String
    /// The block's schema node, from the document schema.
    let schema: @Sendable (JSONNode) -> JSONNode?
}

private let algorithms = "\"algorithms\": [{ \"name\": \"MostPopular\" }], \"metrics\": [\"ndcg@10\"]"
private let synthetic = "{ \"name\": \"syn\", \"synthetic\": { \"users\": 50, \"items\": 40, \"interactions\": 600 } }"

/// The base members with `given` (one `"key": value` member, or nothing) added, replacing the base's own.
private func merged(_ base: [(String, String)], _ given: String) -> String {
    let key = given.split(separator: ":").first.map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "\" ")) }
    return (base.filter { $0.0 != key }.map { "\"\($0.0)\": \($0.1)" } + (given.isEmpty ? [] : [given])).joined(
        separator: ", ")
}

private func top(_ members: String, datasets: String = synthetic, split: String = "{ \"method\": \"kfold\", \"k\": 3 }")
    -> String
{
    "{ \(merged([("name", "\"t\""), ("task", "\"ranking\""), ("datasets", "[\(datasets)]"), ("split", split)], members)), \(algorithms) }"
}

private func properties(_ n: JSONNode?) -> JSONNode? { n?["properties"] }
private func items(_ n: JSONNode?) -> JSONNode? { n?["items"] }

let placements: [Placement] = {
    var list = [
        Placement(
            title: "top", fields: Vocabulary.experiment.filter { $0.name != "$schema" }, path: "",
            document: { top($0) }, schema: { properties($0) }),
        Placement(
            title: "dataset", fields: Vocabulary.dataset, path: "datasets[0]",
            document: {
                top(
                    "",
                    datasets:
                        "{ \"name\": \"syn\", \"synthetic\": { \"users\": 50, \"items\": 40, \"interactions\": 600 }, \($0) }"
                )
            },
            schema: { properties(items(properties($0)?["datasets"])) }),
        Placement(
            title: "synthetic", fields: Vocabulary.synthetic, path: "datasets[0].synthetic",
            document: {
                top(
                    "",
                    datasets: "{ \"name\": \"syn\", \"synthetic\": { "
                        + merged([("users", "50"), ("items", "40"), ("interactions", "600")], $0) + " } }")
            },
            schema: { properties(properties(items(properties($0)?["datasets"]))?["synthetic"]) }),
        Placement(
            title: "filters", fields: Vocabulary.filters, path: "datasets[0].filters",
            document: {
                top(
                    "",
                    datasets:
                        "{ \"name\": \"syn\", \"synthetic\": { \"users\": 50, \"items\": 40, \"interactions\": 600 }, \"filters\": { \($0) } }"
                )
            },
            schema: { properties(properties(items(properties($0)?["datasets"]))?["filters"]) }),
        Placement(
            title: "fold files", fields: Vocabulary.foldFiles, path: "datasets[0].split",
            document: {
                top(
                    "", datasets: "{ \"name\": \"f\", \"split\": { \"base\": \"a\", \"test\": \"b\", \($0) } }",
                    split: "{ \"method\": \"predefined\" }")
            },
            schema: { properties(properties(items(properties($0)?["datasets"]))?["split"]) }),
        Placement(
            title: "format", fields: Vocabulary.format, path: "datasets[0].format",
            document: { top("", datasets: "{ \"name\": \"f\", \"file\": \"r.tsv\", \"format\": { \($0) } }") },
            schema: { properties(properties(items(properties($0)?["datasets"]))?["format"]) }),
        Placement(
            title: "candidates", fields: Vocabulary.candidates, path: "candidates",
            document: { top("\"candidates\": { \(merged([("protocol", "\"sampled\"")], $0)) }") },
            schema: { properties(properties($0)?["candidates"]) }),
        Placement(
            title: "outputs", fields: Vocabulary.outputs, path: "outputs",
            document: { top("\"outputs\": { \($0) }") }, schema: { properties(properties($0)?["outputs"]) })
    ]
    for (i, m) in Vocabulary.splits.enumerated() where !m.fields.isEmpty {
        list.append(
            Placement(
                title: "split \(m.name)", fields: m.fields, path: "split",
                document: { top("", split: "{ \"method\": \"\(m.name)\", \($0) }") },
                schema: { schemaOfMethod(properties($0)?["split"], i) }))
    }
    for (i, m) in Vocabulary.validations.enumerated() {
        list.append(
            Placement(
                title: "validation \(m.name)", fields: m.fields + Vocabulary.validationCommon, path: "validation",
                document: { top("\"validation\": { \"method\": \"\(m.name)\", \($0) }") },
                schema: { schemaOfMethod(properties($0)?["validation"], i) }))
    }
    return list
}()

private func schemaOfMethod(_ n: JSONNode?, _ i: Int) -> JSONNode? {
    guard case let .array(cases)? = n?["allOf"]?.value, i < cases.count else { return nil }
    return properties(cases[i]["then"])
}

/// Values just outside a field's declared domain, as JSON text.
private func outside(_ f: Field) -> [String] {
    switch f.kind {
    case let .integer(lo, hi):
        return (lo > Int.min ? [String(lo - 1)] : []) + (hi < Int.max ? [String(hi + 1)] : []) + ["2.5"]
    case let .number(lo, hi, exclusive):
        return (lo.isFinite ? [exclusive ? "\(lo)" : "\(lo - 1)"] : [])
            + (hi.isFinite ? [exclusive ? "\(hi)" : "\(hi + 1)"] : [])
            + ["\"x\""]
    case .boolean: return ["\"yes\""]
    case .choice: return ["\"nonsense\""]
    case .identifier: return ["\"a b/c\""]
    case .text, .path, .column, .nested: return []
    }
}

@Test(arguments: placements.indices)
func everyDeclaredBoundIsEnforcedByTheValidator(_ i: Int) {
    let p = placements[i]
    var checked = 0
    for f in p.fields {
        for bad in outside(f) {
            let found = issues(p.document("\"\(f.name)\": \(bad)"))
            let path = p.path.isEmpty ? f.name : "\(p.path).\(f.name)"
            #expect(
                found.contains { $0.contains(": \(path): expected \(f.expected), got \(bad)") },
                "\(p.title).\(f.name) = \(bad): \(found)")
            checked += 1
        }
    }
    // Every block here declares at least one checkable key (a block of free text only would test nothing).
    #expect(checked > 0, "\(p.title): nothing checked")
}

@Test(arguments: placements.indices)
func theSchemaHasExactlyTheDeclaredKeysAndBounds(_ i: Int) throws {
    let p = placements[i]
    let schema = try #require(p.schema(ExperimentSchema.document()), "\(p.title): no schema block")
    guard case let .object(members) = schema.value else {
        Issue.record("\(p.title): properties is not an object"); return
    }
    let keys = Set(members.map(\.key)).subtracting(["method", "$schema"])
    #expect(keys == Set(p.fields.map(\.name)), "\(p.title)")
    for f in p.fields {
        let node = schema[f.name]
        switch f.kind {
        case let .integer(lo, hi):
            #expect(node?["minimum"] == .int(lo), "\(p.title).\(f.name)")
            #expect(node?["maximum"] == (hi == Int.max ? nil : .int(hi)), "\(p.title).\(f.name)")
        case let .number(lo, hi, exclusive):
            #expect(
                node?[exclusive ? "exclusiveMinimum" : "minimum"] == (lo.isFinite ? .number(lo) : nil),
                "\(p.title).\(f.name)")
            #expect(
                node?[exclusive ? "exclusiveMaximum" : "maximum"] == (hi.isFinite ? .number(hi) : nil),
                "\(p.title).\(f.name)")
        case let .choice(c):
            #expect(node?["enum"] == .array(c.map { .string($0) }), "\(p.title).\(f.name)")
        default: break
        }
    }
}

@Test func requiredKeysAreRequiredByBoth() {
    let found = issues("{ \(algorithms) }")
    for f in Vocabulary.experiment where f.isRequired && !["algorithms", "metrics"].contains(f.name) {
        #expect(found.contains { $0.contains(": \(f.name): is required") }, "\(f.name): \(found)")
    }
    guard case let .array(required)? = ExperimentSchema.document()["required"]?.value else {
        Issue.record("the schema lists no required keys"); return
    }
    #expect(
        Set(required.compactMap { if case let .string(s) = $0.value { s } else { nil } })
            == Set(Vocabulary.experiment.filter(\.isRequired).map(\.name)))
}

/// The schema's metric pattern accepts the catalogue's names only (it used to accept "ndgc@10").
@Test func theSchemaMetricPatternKnowsTheCatalogue() throws {
    let pattern = try Regex(ExperimentSchema.metricPattern(list: true))
    for good in ["ndcg@10", "recall@[5,10,20]", "rmse", "precision@5"] {
        #expect(good.wholeMatch(of: pattern) != nil, "\(good)")
    }
    for bad in ["ndgc@10", "ndcg@", "recall@[5,]", "NDCG@10"] { #expect(bad.wholeMatch(of: pattern) == nil, "\(bad)") }
}

@Test func committedReferenceMatchesTheDeclarations() throws {
    let committed = try String(contentsOfFile: packageRoot + "/docs/EXPERIMENT-FILE.md", encoding: .utf8)
    #expect(committed == Vocabulary.markdown(), "docs/EXPERIMENT-FILE.md is stale: run `make schema`")
}
