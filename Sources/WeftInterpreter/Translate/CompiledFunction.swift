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

    // MARK: Breakpoints patched into the code

    /// The original words of instructions whose opcode word is a breakpoint, by code index.
    /// Only a debugger changes it, while no thread runs.
    private var patches: [Int: UInt32] = [:]

    /// The code index of the instruction starting at `address`, if one does.
    func instructionIndex(atCodeAddress address: UInt) -> Int? {
        let start = UInt(bitPattern: code)
        guard address >= start, address < start + UInt(codeCount * 4), (address - start) % 4 == 0 else { return nil }
        let index = Int(address - start) / 4
        var lo = 0, hi = instructionStarts.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if Int(instructionStarts[mid]) < index { lo = mid + 1 } else { hi = mid }
        }
        return lo < instructionStarts.count && Int(instructionStarts[lo]) == index ? index : nil
    }

    /// Makes the instruction at `address` pause a debugged thread before it runs (threads in the
    /// debugging loop; it costs the other instructions nothing). False when no instruction of
    /// this function starts there. Setting it twice is harmless.
    @discardableResult
    public func setBreakpoint(atCodeAddress address: UInt) -> Bool {
        guard let index = instructionIndex(atCodeAddress: address) else { return false }
        if patches[index] == nil {
            patches[index] = code[index]
            code[index] = UInt32(Op.breakpoint.rawValue)
        }
        return true
    }

    /// Takes out a breakpoint set with ``setBreakpoint(atCodeAddress:)``.
    public func clearBreakpoint(atCodeAddress address: UInt) {
        guard let index = instructionIndex(atCodeAddress: address), let original = patches.removeValue(forKey: index) else { return }
        code[index] = original
    }

    /// Takes out every breakpoint.
    public func clearAllBreakpoints() {
        for (index, original) in patches { code[index] = original }
        patches = [:]
    }

    /// The instruction word at `address` as translated (under a breakpoint, the word it replaced).
    func originalWord(atCodeAddress address: UInt) -> UInt32? {
        let start = UInt(bitPattern: code)
        guard address >= start, address < start + UInt(codeCount * 4) else { return nil }
        let index = Int(address - start) / 4
        return patches[index] ?? code[index]
    }

    // MARK: Code coverage

    /// The code addresses whose coverage marks (``DebugState/coverage``) show that the
    /// instruction at `address` may have run: itself and the instructions before it that fall
    /// through to it without a mark of their own. Control reaches an instruction either from the
    /// one before it, by falling through (no mark), or by a jump, call, return or resumption
    /// (each marks where it arrives); so if the instruction ran, one of these is marked.
    /// Empty when no instruction starts at `address`.
    public func coverageCandidates(ofCodeAddress address: UInt) -> [UInt] {
        guard let index = instructionIndex(atCodeAddress: address) else { return [] }
        var lo = 0, hi = instructionStarts.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if Int(instructionStarts[mid]) < index { lo = mid + 1 } else { hi = mid }
        }
        let start = UInt(bitPattern: code)
        var result = [address]
        var k = lo - 1
        while k >= 0 {
            let i = Int(instructionStarts[k])
            let op = Op.decode(patches[i] ?? code[i])
            switch op {
            case .br, .brBack, .brTable, .ret, .unreachable: return result
            default: break
            }
            result.append(start + UInt(i * 4))
            k -= 1
        }
        return result
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
