/// docs/EXPERIMENT-FILE.md, made from the declarations (`recbench schema --markdown`; a test keeps
/// the committed copy equal).
extension Vocabulary {
    public static func markdown() -> String {
        var out = """
            # The experiment file

            Every key of an experiment file except the algorithms' parameters (`recbench algorithms` lists
            those) and the search settings. Made by `recbench schema --markdown` from the declarations the
            validator reads; `recbench schema` prints the same as a JSON Schema (experiments/schema.json).


            """
        func table(_ title: String, _ intro: String, _ fields: [Field]) {
            out += "## \(title)\n\n\(intro)\n\n| key | accepts | default | meaning |\n|---|---|---|---|\n"
            for f in fields {
                let accepts = if case .nested = f.kind { "object or list" } else { f.expected }
                out += "| `\(f.name)` | \(accepts) | \(f.defaultText) | \(f.help) |\n"
            }
            out += "\n"
        }
        func methods(_ title: String, _ intro: String, _ list: [Method], common: [Field] = []) {
            out += "## \(title)\n\n\(intro)\n\n"
            for m in list {
                out += "### `\"method\": \"\(m.name)\"`\n\n\(m.help)\n\n"
                let fields = m.fields + common
                if fields.isEmpty { out += "No other keys.\n\n"; continue }
                out += "| key | accepts | default | meaning |\n|---|---|---|---|\n"
                for f in fields { out += "| `\(f.name)` | \(f.expected) | \(f.defaultText) | \(f.help) |\n" }
                out += "\n"
            }
        }
        table("Top level", "The keys of the file's object.", experiment)
        table(
            "Data sets",
            "Each entry of `\"datasets\"`: a registry name, a `\"file\"`, fold files (`\"split\"`) or "
                + "`\"synthetic\"` data.", dataset)
        table("Fold files", "A data set's own `\"split\"`: training, test and optional validation files.", foldFiles)
        table("Format", "How a delimited file is read (a `.csv` file with a header needs none).", format)
        table("Synthetic data", "`\"synthetic\"` in a data-set entry.", synthetic)
        table("Filters", "`\"filters\"` in a data-set entry.", filters)
        methods("Splits", "`\"split\"` at the top level: `\"method\"` and that method's keys.", splits)
        methods(
            "Validation",
            "`\"validation\"` at the top level or in a data-set entry: `\"method\"`, that method's "
                + "keys, `patience` and `seed`.", validations, common: validationCommon)
        table("Candidates", "`\"candidates\"` at the top level.", candidates)
        table("Relevance", "`\"relevance\"` at the top level (ranking tasks).", relevance)
        table("Outputs", "`\"outputs\"` at the top level.", outputs)
        table("LaTeX", "`\"outputs\": {\"latex\": {…}}` (`true` is `{}`, `false` writes no summary.tex).", latex)
        return out
    }
}
