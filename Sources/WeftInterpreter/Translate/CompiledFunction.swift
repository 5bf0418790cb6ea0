/// A function translated into Weft's internal code (see ``Op``). Immutable once built, shared by
/// every instance of its module (each thread of a wasi-threads program is an instance).
public final class CompiledFunction {
    let code: UnsafeMutablePointer<UInt32>
    public let codeCount: Int
    let consts: UnsafeMutablePointer<UInt64>
    let constCount: Int
    let frameSize: Int
    let paramCount: Int
    let localCount: Int
    let resultCount: Int
    public let functionIndex: UInt32
    /// Code word index → module byte offset of the wasm instruction it came from, sorted.
    let codeIndices: [Int32]
    let wasmOffsets: [Int32]
    /// Code word indices where instructions start (for stepping and disassembly).
    let instructionStarts: [Int32]
    /// Module byte offsets of the function's instructions (its body after the locals).
    public internal(set) var moduleRange: Range<Int> = 0..<0

    init(
        code: [UInt32], consts: [UInt64], frameSize: Int, paramCount: Int, localCount: Int,
        resultCount: Int, functionIndex: UInt32, codeIndices: [Int32], wasmOffsets: [Int32],
        instructionStarts: [Int32]
    ) {
        self.code = .allocate(capacity: max(code.count, 1))
        self.code.initialize(from: code, count: code.count)
        self.codeCount = code.count
        self.consts = .allocate(capacity: max(consts.count, 1))
        self.consts.initialize(from: consts, count: consts.count)
        self.constCount = consts.count
        self.frameSize = frameSize
        self.paramCount = paramCount
        self.localCount = localCount
        self.resultCount = resultCount
        self.functionIndex = functionIndex
        self.codeIndices = codeIndices
        self.wasmOffsets = wasmOffsets
        self.instructionStarts = instructionStarts
    }

    deinit {
        code.deallocate()
        consts.deallocate()
    }

    /// The module byte offset of the wasm instruction that produced code word `index`.
    public func wasmOffset(atCodeIndex index: Int) -> Int? {
        var lo = 0, hi = codeIndices.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if Int(codeIndices[mid]) <= index { lo = mid + 1 } else { hi = mid }
        }
        return lo == 0 ? nil : Int(wasmOffsets[lo - 1])
    }
}
