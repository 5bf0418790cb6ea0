import Foundation
import XCTest

extension CLITests {
    /// Every shell transcript in README.md and docs/ that runs `weft` (a code block of `$ `
    /// command lines, each followed by what it prints) prints that when run: the commands of a
    /// block run in order in one scratch directory that sees the repository's `traces/`,
    /// `Tests/` and `Benchmarks/`, with stderr merged into stdout. Interactive `weft debug`
    /// sessions have tests of their own (the README's and docs/repl.md's walkthroughs).
    func testShellTranscriptsInDocsAreReal() throws {
        let root = Paths.packageRoot
        let docs = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("docs").path)
            .filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }
        let bin = try weftExecutable().deletingLastPathComponent().path
        var checked = 0
        for doc in ["README.md"] + docs {
            let text = try String(contentsOf: root.appendingPathComponent(doc), encoding: .utf8)
            for block in shellBlocks(text) {
                let dir = scratch.path("transcript-\(checked)")
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                for link in ["traces", "Tests", "Benchmarks"] {
                    try FileManager.default.createSymbolicLink(atPath: dir + "/" + link, withDestinationPath: root.appendingPathComponent(link).path)
                }
                for (command, expected) in block {
                    let r = try runProcess("/bin/sh", ["-c", "cd '\(dir)' && PATH='\(bin)':\"$PATH\" && {\n\(command)\n} 2>&1"], timeout: 120)
                    if !linesMatch(expected, r.stdout) {
                        XCTFail("\(doc): $ \(command)\n--- the document shows:\n\(expected)--- it prints:\n\(r.stdout)")
                    }
                }
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 5, "the documents have shell transcripts")
    }

    /// Whether `actual` is what `shown` shows, where a line `...` (indented or not) in `shown`
    /// stands for any number of lines the document leaves out.
    func linesMatch(_ shown: String, _ actual: String) -> Bool {
        let want = shown.split(separator: "\n", omittingEmptySubsequences: false)
        let have = actual.split(separator: "\n", omittingEmptySubsequences: false)
        func match(_ i: Int, _ j: Int) -> Bool {
            if i == want.count { return j == have.count }
            if want[i].trimmingCharacters(in: .whitespaces) == "..." {
                return (j...have.count).contains { match(i + 1, $0) }
            }
            return j < have.count && want[i] == have[j] && match(i + 1, j + 1)
        }
        return match(0, 0)
    }

    /// The runnable transcripts of a Markdown text: untagged code blocks whose first line is
    /// `$ weft ...`, as (command, output) pairs.
    func shellBlocks(_ text: String) -> [[(String, String)]] {
        var blocks: [[(String, String)]] = []
        var inBlock = false
        var lines: [Substring]?  // the lines of an untagged block being read
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```") {
                if inBlock {
                    if let body = lines, let block = transcript(body) { blocks.append(block) }
                    lines = nil
                } else {
                    lines = line == "```" ? [] : nil  // a tagged block (```c, ```sh) is not a transcript
                }
                inBlock.toggle()
                continue
            }
            lines?.append(line)
        }
        return blocks
    }

    func transcript(_ body: [Substring]) -> [(String, String)]? {
        guard let first = body.first, first.hasPrefix("$ weft ") else { return nil }
        var pairs: [(String, String)] = []
        for line in body {
            if line.hasPrefix("$ ") {
                pairs.append((String(line.dropFirst(2)), ""))
            } else {
                pairs[pairs.count - 1].1 += line + "\n"
            }
        }
        // An interactive session is typed at the prompt, not given on the command line.
        if pairs.contains(where: { $0.0.hasPrefix("weft debug") && !$0.0.contains("--batch") }) { return nil }
        return pairs
    }
}
