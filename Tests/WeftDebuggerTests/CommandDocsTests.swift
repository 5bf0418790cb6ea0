import Foundation
import WeftDebugger
import XCTest

/// docs/repl.md documents every command the debugger has.
final class CommandDocsTests: XCTestCase {
    func testEveryCommandIsInTheReference() throws {
        let doc = try String(contentsOf: packageRoot.appendingPathComponent("docs/repl.md"), encoding: .utf8)
        let missing = DebugSession.commandNames.filter { !doc.contains("`\($0)") }
        XCTAssertEqual(missing, [], "commands docs/repl.md does not show")
    }
}
