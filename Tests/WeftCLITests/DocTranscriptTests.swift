import Foundation
import XCTest

extension CLITests {
    /// Every shell transcript in README.md and docs/ that runs `weft` (a code block of `$ `
    /// command lines, each followed by what it prints) prints that when run: the commands of a
    /// block run in order in one scratch directory that sees the repository's `traces/`,
    /// `Tests/` and `Benchmarks/`, with stderr merged into stdout (one that reads the spec suite
    /// runs only when `$WEFT_SPEC_TESTSUITE` is set). Interactive `weft debug`
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
                // A transcript of the spec suite's files runs where the suite is (as in CI).
                if block.contains(where: { $0.0.contains("$WEFT_SPEC_TESTSUITE") }), ProcessInfo.processInfo.environment["WEFT_SPEC_TESTSUITE"] == nil {
                    print("\(doc): skipping `$ \(block[0].0)`: WEFT_SPEC_TESTSUITE is not set")
                    continue
                }
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
    /// `$ weft ...`, as (command, output) pairs. A block indented in a list item counts too, its
    /// lines read without the fence's indentation.
    func shellBlocks(_ text: String) -> [[(String, String)]] {
        var blocks: [[(String, String)]] = []
        var inBlock = false
        var indent = 0
        var lines: [Substring]?  // the lines of an untagged block being read
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let fence = line.drop { $0 == " " }
            if fence.hasPrefix("```") {
                if inBlock {
                    if let body = lines, let block = transcript(body) { blocks.append(block) }
                    lines = nil
                } else {
                    indent = line.count - fence.count
                    lines = fence == "```" ? [] : nil  // a tagged block (```c, ```sh) is not a transcript
                }
                inBlock.toggle()
                continue
            }
            lines?.append(line.prefix(indent).allSatisfy { $0 == " " } ? line.dropFirst(indent) : line)
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

extension CLITests {
    /// Every debugger transcript in README.md and docs/ (an untagged code block whose first line
    /// is a `(weft) ` command), but for docs/repl.md's walkthrough (tested as one session), is what a
    /// `weft debug --batch` session prints for its commands. The line before the block says how the
    /// session starts: `<!-- session: [OPTIONS] TARGET -->`, whose `-ex` commands bring the session
    /// to where the example starts and are not shown; `<!-- session: continues -->` to go on from
    /// the previous block's session; or `<!-- not run: WHY -->` for the rare one a batch session
    /// cannot show (a typed Ctrl-C). Sessions run in a scratch directory that sees the repository's
    /// `traces/` and `Tests/`; its path prints as `/home/me/weft`.
    func testDebuggerTranscriptsInDocsAreReal() throws {
        let root = Paths.packageRoot
        let docs = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("docs").path)
            .filter { $0.hasSuffix(".md") }.sorted().map { "docs/" + $0 }
        let weft = try weftExecutable().path
        var checked = 0
        for doc in ["README.md"] + docs {
            let text = try String(contentsOf: root.appendingPathComponent(doc), encoding: .utf8)
            // `<!-- session: continues -->` goes on from the previous block's session.
            var previous: (setup: String, target: String, commands: [String])?
            for block in debuggerBlocks(text) {
                let marker = block.marker.trimmingCharacters(in: .whitespaces)
                if marker.hasPrefix("<!-- not run: ") { continue }
                guard marker.hasPrefix("<!-- session: "), marker.hasSuffix(" -->") else {
                    XCTFail("\(doc):\(block.line): a debugger transcript needs <!-- session: [OPTIONS] TARGET --> (or <!-- not run: WHY -->) on the line before it")
                    continue
                }
                let session = marker.dropFirst("<!-- session: ".count).dropLast(" -->".count)
                let commands = block.body.filter { $0.hasPrefix("(weft) ") }.map { String($0.dropFirst(7)) }
                var setup: String
                let target: String
                if session == "continues" {
                    guard let last = previous else {
                        XCTFail("\(doc):\(block.line): no earlier session to continue")
                        continue
                    }
                    (setup, target) = (last.setup + " " + Self.exOptions(last.commands), last.target)
                } else {
                    let split = session.lastIndex(of: " ")
                    setup = split.map { String(session[..<$0]) } ?? ""
                    target = split.map { String(session[session.index(after: $0)...]) } ?? String(session)
                }
                previous = (setup, target, commands)
                let quoted = Self.exOptions(commands)
                let dir = scratch.path("session-\(checked)")
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                for link in ["traces", "Tests"] {
                    try FileManager.default.createSymbolicLink(atPath: dir + "/" + link, withDestinationPath: root.appendingPathComponent(link).path)
                }
                let r = try runProcess("/bin/sh", ["-c", "cd '\(dir)' && '\(weft)' debug --batch \(setup) \(quoted) \(target) 2>&1"], timeout: 120)
                let lines = r.stdout.replacingOccurrences(of: dir, with: "/home/me/weft")
                    .split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
                // The block starts at the echo of its first command, after the setup's.
                let echoes = lines.indices.filter { lines[$0].hasPrefix("(weft) ") }
                guard echoes.count >= commands.count, !commands.isEmpty else {
                    XCTFail("\(doc):\(block.line): the session did not run the block's commands:\n\(r.stdout)")
                    continue
                }
                let shown = lines[echoes[echoes.count - commands.count]...].joined(separator: "\n")
                let expected = block.body.joined(separator: "\n") + "\n"
                if !linesMatch(expected, shown) {
                    XCTFail("\(doc):\(block.line): weft debug --batch \(setup) ... \(target)\n--- the document shows:\n\(expected)--- it prints:\n\(shown)")
                }
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 10, "the documents have debugger transcripts")
    }

    /// `-ex 'COMMAND'` for each of `commands`, quoted for the shell.
    static func exOptions(_ commands: [String]) -> String {
        commands.map { "-ex '" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }.joined(separator: " ")
    }

    /// The debugger transcripts of a Markdown text outside docs/repl.md's walkthrough section: the
    /// line before each block (`marker`), the block's first line number, and its lines.
    func debuggerBlocks(_ text: String) -> [(marker: String, line: Int, body: [String])] {
        var blocks: [(marker: String, line: Int, body: [String])] = []
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var inWalkthrough = false
        var open: (index: Int, untagged: Bool)?
        for (i, line) in lines.enumerated() {
            if open == nil, line.hasPrefix("## ") { inWalkthrough = line.hasPrefix("## Walkthrough:") }
            guard line.hasPrefix("```") else { continue }
            guard let start = open else {
                open = (i, line == "```")
                continue
            }
            open = nil
            let body = Array(lines[(start.index + 1)..<i])
            guard start.untagged, !inWalkthrough, body.first?.hasPrefix("(weft) ") == true else { continue }
            blocks.append((start.index > 0 ? lines[start.index - 1] : "", start.index + 2, body))
        }
        return blocks
    }
}
