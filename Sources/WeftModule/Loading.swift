import Foundation
import WAT
import WasmParser

extension Module {
    /// Reads a module from a `.wasm` file, or a `.wat` file (assembled with WasmKit's `WAT`).
    /// Returns the binary bytes too, since a trace embeds them.
    public static func load(path: String) throws -> (module: Module, bytes: [UInt8]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw LoadError.cannotRead(path)
        }
        var bytes = [UInt8](data)
        let isBinary = bytes.count >= 4 && bytes[0] == 0 && bytes[1] == 0x61 && bytes[2] == 0x73 && bytes[3] == 0x6D
        if !isBinary {
            guard let text = String(data: data, encoding: .utf8) else {
                throw LoadError.notAModule(path)
            }
            do {
                bytes = try wat2wasm(text, features: parsingFeatures, options: EncodeOptions(nameSection: true))
            } catch {
                throw LoadError.badText(Self.cleanMessage("\(error)"))
            }
        }
        return (try decode(bytes), bytes)
    }
}

extension Module {
    /// Assembles WebAssembly text into binary bytes.
    public static func assemble(text: String) throws -> [UInt8] {
        do {
            return try wat2wasm(text, features: parsingFeatures, options: EncodeOptions(nameSection: true))
        } catch {
            throw LoadError.badText(Self.cleanMessage("\(error)"))
        }
    }
}

public enum LoadError: Error, CustomStringConvertible {
    case cannotRead(String)
    case notAModule(String)
    case badText(String)

    public var description: String {
        switch self {
        case .cannotRead(let p): return "cannot read \(p)"
        case .notAModule(let p): return "\(p) is neither a WebAssembly binary nor UTF-8 text"
        case .badText(let m): return "cannot assemble text module: \(m)"
        }
    }
}
