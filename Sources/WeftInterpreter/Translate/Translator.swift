import WasmParser
import WasmTypes
import WeftModule

/// Validates one function body and translates it into Weft's slot-based code in the same pass.
///
/// The operand stack is tracked abstractly: an entry is a value already in its own stack slot, or
/// a *deferred* reference to a local or a constant slot (`local.get` and `*.const` emit no code;
/// consumers read the local or constant slot directly). Deferred entries are copied into their
/// stack slots only where a value must sit at a fixed place: block parameters, branch values,
/// call arguments, and before a `local.set` overwrites a local that a deferred entry names.
/// An instruction whose result is immediately stored by `local.set`/`local.tee` writes straight
/// into the local. Slot operands are emitted tagged (local / constant / stack position) and
/// rewritten to frame slot indices once the number of constants is known.
struct Translator: AnyInstructionVisitor {
    typealias VisitorError = TranslationError

    // MARK: Input
    let module: Module
    let context: ModuleValidationContext
    let functionIndex: UInt32
    let type: FunctionType
    let localTypes: [ValueType]

    var binaryOffset: Int = 0

    // MARK: Output being built
    var code: [UInt32] = []
    var consts: [UInt64] = []
    var constIndex: [UInt64: UInt32] = [:]
    var slotOperands: [Int] = []
    var maxHeight = 0
    var codeIndices: [Int32] = []
    var wasmOffsets: [Int32] = []
    var instructionStarts: [Int32] = []

    // MARK: Validation and abstract stack
    enum Location: Equatable {
        case stack
        case local(UInt32)
        case const(UInt32)
    }
    struct Entry {
        var type: ValueType?  // nil: unknown (from an unreachable, polymorphic stack)
        var location: Location
    }
    var stack: [Entry] = []

    enum ControlKind { case function, block, loop, `if`, `else` }
    struct Control {
        var kind: ControlKind
        var startTypes: [ValueType]
        var endTypes: [ValueType]
        var height: Int
        var unreachable = false
        var deadOnEntry = false
        var loopStart = 0
        /// Branch operand words to patch with the block's end: (instruction start, operand index).
        var pendingBranches: [(Int, Int)] = []
        var elseBranch: (Int, Int)?
        var initLogCount = 0
        var labelTypes: [ValueType] { kind == .loop ? startTypes : endTypes }
    }
    var controls: [Control] = []

    /// Non-defaultable locals set so far, undone at the end of the block that set them.
    var localInitialized: [Bool]
    var initLog: [Int] = []

    /// Where the last emitted instruction's destination operand is, if it wrote the stack top.
    var lastDestination: (wordIndex: Int, codeCount: Int)?
    /// The last emitted i32 comparison, which a following `br_if` or `if` can fuse with.
    var lastComparison: (start: Int, end: Int, op: Op, a: UInt32, b: UInt32, result: UInt32)?
    /// The last emitted `i32.add` of two slots, which a following load or store can take as its address.
    var lastAdd: (start: Int, end: Int, a: UInt32, b: UInt32, result: UInt32)?
    /// The last emitted `f64.mul`, which a following `f64.add`/`f64.sub` of its result can fuse with.
    var lastMultiply: (start: Int, end: Int, a: UInt32, b: UInt32, result: UInt32)?

    static let constTag: UInt32 = 0x8000_0000
    static let stackTag: UInt32 = 0x4000_0000
    static let maxConsts = 512

    init(module: Module, context: ModuleValidationContext, functionIndex: UInt32, type: FunctionType, locals: [ValueType]) {
        self.module = module
        self.context = context
        self.functionIndex = functionIndex
        self.type = type
        self.localTypes = type.parameters + locals
        self.localInitialized = localTypes.enumerated().map { i, t in i < type.parameters.count || t.isDefaultable }
    }

    // MARK: - Driver

    static func translate(
        module: Module, context: ModuleValidationContext, definedIndex: Int
    ) throws(TranslationError) -> CompiledFunction {
        let functionIndex = UInt32(module.importedFunctionCount + definedIndex)
        let typeIndex = module.functionTypeIndices[definedIndex]
        guard Int(typeIndex) < module.types.count else {
            throw TranslationError("unknown type \(typeIndex)", functionIndex: functionIndex, offset: nil)
        }
        let code = module.codes[definedIndex]
        var t = Translator(
            module: module, context: context, functionIndex: functionIndex,
            type: module.types[Int(typeIndex)], locals: code.locals)
        for l in code.locals { try t.checkValueType(l) }
        t.controls.append(Control(kind: .function, startTypes: [], endTypes: t.type.results, height: 0))
        var parser = ExpressionParser(code: code)
        let bodyStart = parser.offset
        do {
            while let visit = try parser.parse() {
                t.binaryOffset = parser.offset
                try visit(visitor: &t)
            }
        } catch let e as TranslationError {
            throw e.with(functionIndex: functionIndex)
        } catch {
            throw TranslationError(malformed: "\(error)", functionIndex: functionIndex)
        }
        guard t.controls.isEmpty else {
            throw TranslationError("unexpected end of function body (unclosed block)", functionIndex: functionIndex, offset: t.binaryOffset)
        }
        let compiled = t.finish()
        compiled.moduleRange = bodyStart..<(bodyStart + code.expression.count)
        return compiled
    }

    mutating func finish() -> CompiledFunction {
        let localCount = localTypes.count
        let constBase = UInt32(localCount)
        let stackBase = UInt32(localCount + consts.count)
        for i in slotOperands {
            let w = code[i]
            if w & Self.constTag != 0 {
                code[i] = constBase + (w & ~Self.constTag)
            } else if w & Self.stackTag != 0 {
                code[i] = stackBase + (w & ~Self.stackTag)
            }
        }
        let frameSize = localCount + consts.count + maxHeight + 1
        return CompiledFunction(
            code: code, consts: consts, frameSize: frameSize, paramCount: type.parameters.count,
            localCount: localCount - type.parameters.count, resultCount: type.results.count,
            functionIndex: functionIndex, codeIndices: codeIndices, wasmOffsets: wasmOffsets,
            instructionStarts: instructionStarts)
    }

    // MARK: - Errors

    func fail(_ message: String) -> TranslationError {
        TranslationError(message, functionIndex: functionIndex, offset: binaryOffset)
    }

    // MARK: - Emission

    /// Whether code is being emitted: false after an unconditional branch and in blocks that
    /// start in such dead code. (Validation's polymorphic stack is only ``Control/unreachable``.)
    var reachable: Bool {
        guard let c = controls.last else { return false }
        return !(c.unreachable || c.deadOnEntry)
    }

    /// Starts an instruction; returns the index of its opcode word.
    @discardableResult
    mutating func emitOp(_ op: Op) -> Int {
        let start = code.count
        if let last = codeIndices.last, Int(last) == start {
            wasmOffsets[wasmOffsets.count - 1] = Int32(truncatingIfNeeded: binaryOffset)
        } else {
            codeIndices.append(Int32(start))
            wasmOffsets.append(Int32(truncatingIfNeeded: binaryOffset))
        }
        instructionStarts.append(Int32(start))
        code.append(UInt32(op.rawValue))
        lastDestination = nil
        lastComparison = nil
        lastMultiply = nil
        lastAdd = nil
        return start
    }

    mutating func emitWord(_ w: UInt32) { code.append(w) }

    mutating func emitSlot(_ tagged: UInt32) {
        slotOperands.append(code.count)
        code.append(tagged)
    }

    func taggedSlot(_ entry: Entry, at position: Int) -> UInt32 {
        switch entry.location {
        case .stack: return Self.stackTag | UInt32(position)
        case .local(let i): return i
        case .const(let c): return Self.constTag | c
        }
    }

    func stackSlot(_ position: Int) -> UInt32 { Self.stackTag | UInt32(position) }

    /// Emits a placeholder branch target word for `instructionStart`; returns its index.
    mutating func emitTargetPlaceholder() -> Int {
        code.append(0)
        return code.count - 1
    }

    mutating func patchTarget(instruction: Int, word: Int, to target: Int) {
        code[word] = UInt32(bitPattern: Int32(target - instruction))
    }

    /// Copies a deferred entry into its own stack slot.
    mutating func materialize(_ position: Int) {
        let e = stack[position]
        guard e.location != .stack else { return }
        if reachable {
            emitOp(.copy)
            emitSlot(stackSlot(position))
            emitSlot(taggedSlot(e, at: position))
        }
        stack[position].location = .stack
    }

    mutating func materializeTop(_ count: Int) {
        for p in max(0, stack.count - count)..<stack.count { materialize(p) }
    }

    mutating func materializeReferences(toLocal index: UInt32) {
        for p in stack.indices where stack[p].location == .local(index) { materialize(p) }
    }

    // MARK: - Operand stack (validation)

    mutating func push(_ type: ValueType?, _ location: Location = .stack) {
        stack.append(Entry(type: type, location: location))
        if stack.count > maxHeight { maxHeight = stack.count }
    }

    /// Pushes a computed value and returns the tagged slot to write it to.
    mutating func pushResult(_ type: ValueType?) -> UInt32 {
        push(type)
        return stackSlot(stack.count - 1)
    }

    /// Pops one operand, checking it against `expected` (nil accepts anything).
    @discardableResult
    mutating func pop(_ expected: ValueType? = nil) throws(TranslationError) -> (type: ValueType?, slot: UInt32) {
        let frame = controls[controls.count - 1]
        if stack.count == frame.height {
            if frame.unreachable { return (nil, 0) }
            throw fail("type mismatch: expected \(expected.map(describe) ?? "a value") but the stack is empty")
        }
        let position = stack.count - 1
        let entry = stack.removeLast()
        if let expected, let actual = entry.type, !context.isSubtype(actual, of: expected) {
            throw fail("type mismatch: expected \(describe(expected)), found \(describe(actual))")
        }
        return (entry.type, taggedSlot(entry, at: position))
    }

    mutating func popValues(_ types: [ValueType]) throws(TranslationError) {
        for t in types.reversed() { try pop(t) }
    }

    /// Checks that the top of the stack matches `types` without popping.
    mutating func checkTop(_ types: [ValueType]) throws(TranslationError) {
        let saved = stack
        try popValues(types)
        stack = saved
    }

    mutating func popRef() throws(TranslationError) -> (type: ValueType?, slot: UInt32) {
        let v = try pop()
        if let t = v.type, case .ref = t {} else if v.type != nil {
            throw fail("type mismatch: expected a reference, found \(describe(v.type!))")
        }
        return v
    }

    mutating func setUnreachable() {
        let h = controls[controls.count - 1].height
        stack.removeSubrange(h...)
        controls[controls.count - 1].unreachable = true
    }

    func describe(_ t: ValueType) -> String { t.text }

    func checkValueType(_ t: ValueType) throws(TranslationError) {
        if case .ref(let r) = t, case .concrete(let i) = r.heapType, Int(i) >= module.types.count {
            throw fail("unknown type \(i)")
        }
    }

    // MARK: - Blocks

    func blockSignature(_ bt: BlockType) throws(TranslationError) -> ([ValueType], [ValueType]) {
        switch bt {
        case .empty: return ([], [])
        case .type(let t):
            try checkValueType(t)
            return ([], [t])
        case .funcType(let i):
            guard Int(i) < module.types.count else { throw fail("unknown type \(i)") }
            let ft = module.types[Int(i)]
            return (ft.parameters, ft.results)
        }
    }

    mutating func pushControl(_ kind: ControlKind, _ params: [ValueType], _ results: [ValueType]) throws(TranslationError) {
        try checkTop(params)
        // Block parameters sit in their own slots, so both branches into the block and its
        // fall-through agree on where they are.
        if reachable { materializeTop(params.count) }
        let dead = !reachable
        try popValues(params)
        let height = stack.count
        for p in params { push(p) }
        var c = Control(kind: kind, startTypes: params, endTypes: results, height: height)
        c.deadOnEntry = dead
        c.loopStart = code.count
        c.initLogCount = initLog.count
        controls.append(c)
        lastDestination = nil
    }

    /// Emits the moves of branch values into the label's slots. Values stay on the stack.
    mutating func emitBranchCopies(to label: Control) {
        let arity = label.labelTypes.count
        let top = stack.count
        for k in 0..<arity {
            let from = top - arity + k
            let to = label.height + k
            let src = taggedSlot(stack[from], at: from)
            if src != stackSlot(to) {
                emitOp(.copy)
                emitSlot(stackSlot(to))
                emitSlot(src)
            }
        }
    }

    func branchNeedsCopies(to label: Control) -> Bool {
        let arity = label.labelTypes.count
        let top = stack.count
        for k in 0..<arity {
            let from = top - arity + k
            if taggedSlot(stack[from], at: from) != stackSlot(label.height + k) { return true }
        }
        return false
    }

    /// Emits an unconditional jump to label `depth` (after its copies).
    mutating func emitJump(toDepth depth: Int) {
        let index = controls.count - 1 - depth
        let label = controls[index]
        if label.kind == .function {
            emitReturn()
            return
        }
        emitBranchCopies(to: label)
        if label.kind == .loop {
            let start = emitOp(.brBack)
            code.append(0)
            patchTarget(instruction: start, word: start + 1, to: label.loopStart)
        } else {
            let start = emitOp(.br)
            let w = emitTargetPlaceholder()
            controls[index].pendingBranches.append((start, w))
        }
    }

    func label(_ depth: UInt32) throws(TranslationError) -> Control {
        guard Int(depth) < controls.count else { throw fail("unknown label \(depth)") }
        return controls[controls.count - 1 - Int(depth)]
    }

    mutating func emitReturn() {
        let n = type.results.count
        let top = stack.count
        let directSafe = (0..<n).allSatisfy { k in
            if case .local(let i) = stack[top - n + k].location { return i >= UInt32(n) }
            return true
        }
        if !directSafe { materializeTop(n) }
        for k in 0..<n {
            let from = top - n + k
            let src = taggedSlot(stack[from], at: from)
            if src != UInt32(k) {
                emitOp(.copy)
                emitWord(UInt32(k))
                emitSlot(src)
            }
        }
        emitOp(.ret)
    }

    // MARK: - Instruction visitor

    mutating func visit(_ instruction: Instruction) throws(TranslationError) {
        switch instruction {
        case .unreachable:
            if reachable { emitOp(.unreachable) }
            setUnreachable()
        case .nop:
            break
        case .block(let bt):
            let (p, r) = try blockSignature(bt)
            try pushControl(.block, p, r)
        case .loop(let bt):
            let (p, r) = try blockSignature(bt)
            try pushControl(.loop, p, r)
            controls[controls.count - 1].loopStart = code.count
        case .if(let bt):
            let (p, r) = try blockSignature(bt)
            let cond = try pop(.i32)
            var elseBranch: (Int, Int)?
            if reachable {
                // Block parameters must be in place before the branch.
                let saved = stack
                try popValues(p)
                stack = saved
                materializeTop(p.count)
                if let fused = takeComparison(producing: cond.slot, negated: true) {
                    let start = emitOp(fused.op)
                    emitSlot(fused.a)
                    if !Self.singleOperandBranches.contains(fused.op) { emitSlot(fused.b) }
                    elseBranch = (start, emitTargetPlaceholder())
                } else {
                    let start = emitOp(.brIfNot)
                    emitSlot(cond.slot)
                    elseBranch = (start, emitTargetPlaceholder())
                }
            }
            try pushControl(.if, p, r)
            controls[controls.count - 1].elseBranch = elseBranch
        case .else:
            guard let c = controls.last, c.kind == .if else { throw fail("else without matching if") }
            try endOfBlockChecks()
            if reachable {
                materializeTop(c.endTypes.count)
                let start = emitOp(.br)
                let w = emitTargetPlaceholder()
                controls[controls.count - 1].pendingBranches.append((start, w))
            }
            if let (i, w) = c.elseBranch { patchTarget(instruction: i, word: w, to: code.count) }
            controls[controls.count - 1].elseBranch = nil
            controls[controls.count - 1].kind = .else
            controls[controls.count - 1].unreachable = false
            // The else arm starts from the block parameters, already in their slots.
            stack.removeSubrange(c.height...)
            for t in c.startTypes { push(t) }
            undoLocalInits(to: c.initLogCount)
            lastDestination = nil
        case .end:
            guard let c = controls.last else { throw fail("unexpected end") }
            try endOfBlockChecks()
            if c.kind == .if {
                guard c.startTypes == c.endTypes else {
                    throw fail("type mismatch: if without else must leave its parameters unchanged")
                }
            }
            if c.kind == .function {
                if reachable { emitReturn() }
                controls.removeLast()
                return
            }
            if reachable { materializeTop(c.endTypes.count) }
            let end = code.count
            for (i, w) in c.pendingBranches { patchTarget(instruction: i, word: w, to: end) }
            if let (i, w) = c.elseBranch { patchTarget(instruction: i, word: w, to: end) }
            controls.removeLast()
            undoLocalInits(to: c.initLogCount)
            stack.removeSubrange(c.height...)
            for t in c.endTypes { push(t) }
            lastDestination = nil
        case .br(let depth):
            let l = try label(depth)
            try checkTop(l.labelTypes)
            if reachable { emitJump(toDepth: Int(depth)) }
            setUnreachable()
        case .brIf(let depth):
            let l = try label(depth)
            let cond = try pop(.i32)
            try checkTop(l.labelTypes)
            if reachable {
                if fusableTarget(depth: Int(depth)), let fused = takeComparison(producing: cond.slot, negated: false) {
                    emitFusedBranch(fused, depth: Int(depth))
                } else {
                    emitConditionalBranch(depth: Int(depth), condition: cond.slot)
                }
            }
            try retype(l.labelTypes)
        case .brTable(let targets):
            let cond = try pop(.i32)
            let defaultLabel = try label(targets.defaultIndex)
            let arity = defaultLabel.labelTypes.count
            for d in targets.labelIndices {
                let l = try label(d)
                guard l.labelTypes.count == arity else { throw fail("type mismatch: br_table labels have different arities") }
                try checkTop(l.labelTypes)
            }
            try checkTop(defaultLabel.labelTypes)
            if reachable { emitBranchTable(targets, condition: cond.slot) }
            setUnreachable()
        case .return:
            try checkTop(type.results)
            if reachable { emitReturn() }
            setUnreachable()
        case .call(let index):
            guard let ti = module.functionTypeIndex(index), Int(ti) < module.types.count else {
                throw fail("unknown function \(index)")
            }
            try emitCall(module.types[Int(ti)]) { t in t.emitOp(.call); t.emitWord(index) }
        case .callIndirect(let typeIndex, let tableIndex):
            guard let tt = module.tableType(tableIndex) else { throw fail("unknown table \(tableIndex)") }
            guard Int(typeIndex) < module.types.count else { throw fail("unknown type \(typeIndex)") }
            guard context.isSubtype(.ref(tt.elementType), of: .ref(.funcRef)) else {
                throw fail("type mismatch: call_indirect on a table of \(ValueType.ref(tt.elementType).text)")
            }
            let index = try pop(.i32)
            try emitCall(module.types[Int(typeIndex)]) { t in
                t.emitOp(.callIndirect); t.emitWord(typeIndex); t.emitWord(tableIndex); t.emitSlot(index.slot)
            }
        case .callRef(let typeIndex):
            guard Int(typeIndex) < module.types.count else { throw fail("unknown type \(typeIndex)") }
            let ref = try pop(.ref(ReferenceType(isNullable: true, heapType: .concrete(typeIndex: typeIndex))))
            try emitCall(module.types[Int(typeIndex)]) { t in
                t.emitOp(.callRef); t.emitWord(typeIndex); t.emitSlot(ref.slot)
            }
        case .returnCall, .returnCallIndirect, .returnCallRef:
            throw TranslationError(unsupported: "tail-call", detail: "return_call instructions")
        case .throw, .throwRef, .tryTable:
            throw TranslationError(unsupported: "exceptions", detail: "exception-handling instructions")
        case .drop:
            try pop()
        case .select:
            let c = try pop(.i32)
            let b = try pop()
            let a = try pop()
            if let ta = a.type, ta.isReference { throw fail("type mismatch: select on references needs a type annotation") }
            if let tb = b.type, tb.isReference { throw fail("type mismatch: select on references needs a type annotation") }
            if let ta = a.type, let tb = b.type, ta != tb { throw fail("type mismatch: select operands \(ta.text) and \(tb.text)") }
            emitSelect(a, b, c, type: a.type ?? b.type)
        case .typedSelect(let t):
            try checkValueType(t)
            let c = try pop(.i32)
            let b = try pop(t)
            let a = try pop(t)
            emitSelect(a, b, c, type: t)
        case .localGet(let i):
            let t = try localType(i)
            guard localInitialized[Int(i)] else { throw fail("uninitialized local \(i)") }
            push(t, .local(i))
        case .localSet(let i):
            let t = try localType(i)
            try localWrite(i, type: t, tee: false)
        case .localTee(let i):
            let t = try localType(i)
            try localWrite(i, type: t, tee: true)
        case .globalGet(let i):
            guard let g = module.globalType(i) else { throw fail("unknown global \(i)") }
            let d = pushResult(g.valueType)
            if reachable { emitOp(.globalGet); emitDestination(d); emitWord(i) }
        case .globalSet(let i):
            guard let g = module.globalType(i) else { throw fail("unknown global \(i)") }
            guard g.mutability == .variable else { throw fail("global is immutable: global.set of global \(i)") }
            let v = try pop(g.valueType)
            if reachable { emitOp(.globalSet); emitWord(i); emitSlot(v.slot) }
        case .load(let load, let memarg):
            try visitLoad(load, memarg)
        case .store(let store, let memarg):
            try visitStore(store, memarg)
        case .memorySize(let mem):
            try requireMemory(mem)
            let d = pushResult(.i32)
            if reachable { emitMemoryOp(.memorySize, mem); emitDestination(d) }
        case .memoryGrow(let mem):
            try requireMemory(mem)
            let a = try pop(.i32)
            let d = pushResult(.i32)
            if reachable { emitMemoryOp(.memoryGrow, mem); emitDestination(d); emitSlot(a.slot) }
        case .i32Const(let v):
            pushConst(UInt64(UInt32(bitPattern: v)), .i32)
        case .i64Const(let v):
            pushConst(UInt64(bitPattern: v), .i64)
        case .f32Const(let v):
            pushConst(UInt64(v.bitPattern), .f32)
        case .f64Const(let v):
            pushConst(v.bitPattern, .f64)
        case .refNull(let heap):
            try checkHeapType(heap)
            pushConst(0, .ref(ReferenceType(isNullable: true, heapType: heap)))
        case .refIsNull:
            let r = try popRef()
            let d = pushResult(.i32)
            if reachable { emitOp(.refIsNull); emitDestination(d); emitSlot(r.slot) }
        case .refFunc(let index):
            guard let ti = module.functionTypeIndex(index) else { throw fail("unknown function \(index)") }
            guard context.declaredFunctions.contains(index) else { throw fail("undeclared function reference \(index)") }
            let d = pushResult(.ref(ReferenceType(isNullable: false, heapType: .concrete(typeIndex: ti))))
            if reachable { emitOp(.refFunc); emitDestination(d); emitWord(index) }
        case .refAsNonNull:
            let position = stack.count - 1
            let location = stack.last?.location ?? .stack
            let r = try popRef()
            push(r.type.map { $0.nonNullable }, stack.count == position ? location : .stack)
            if reachable { emitOp(.refAsNonNull); emitSlot(r.slot) }
        case .brOnNull(let depth):
            let position = stack.count - 1
            let location = stack.last?.location ?? .stack
            let r = try popRef()
            let l = try label(depth)
            try checkTop(l.labelTypes)
            if reachable {
                // Branch with the label's values when null; otherwise keep the (non-null) reference.
                let index = controls.count - 1 - Int(depth)
                if l.kind == .block || l.kind == .if || l.kind == .else, !branchNeedsCopies(to: l) {
                    let start = emitOp(.brOnNull)
                    emitSlot(r.slot)
                    let w = emitTargetPlaceholder()
                    controls[index].pendingBranches.append((start, w))
                } else {
                    let start = emitOp(.brOnNonNull)
                    emitSlot(r.slot)
                    let skip = emitTargetPlaceholder()
                    emitJump(toDepth: Int(depth))
                    patchTarget(instruction: start, word: skip, to: code.count)
                }
            }
            try retype(l.labelTypes)
            push(r.type.map { $0.nonNullable }, stack.count == position ? location : .stack)
        case .brOnNonNull(let depth):
            let l = try label(depth)
            guard let last = l.labelTypes.last, last.isReference else {
                throw fail("type mismatch: br_on_non_null target must take a reference")
            }
            let position = stack.count - 1
            let location = stack.last?.location ?? .stack
            let r = try popRef()
            push(r.type.map { $0.nonNullable }, stack.count == position ? location : .stack)
            try checkTop(l.labelTypes)
            if reachable {
                let start = emitOp(.brOnNull)
                emitSlot(r.slot)
                let skip = emitTargetPlaceholder()
                emitJump(toDepth: Int(depth))
                patchTarget(instruction: start, word: skip, to: code.count)
            }
            stack.removeLast()
            // On fall-through the values below take the label's types.
            try retype(Array(l.labelTypes.dropLast()))
        case .i32Eqz:
            try unary(.i32Eqz, .i32, .i32)
        case .i64Eqz:
            try unary(.i64Eqz, .i64, .i32)
        case .cmp(let c):
            let (op, t) = Self.cmpOp(c)
            try binary(op, t, .i32)
        case .unary(let u):
            let (op, t) = Self.unaryOp(u)
            try unary(op, t, t)
        case .binary(let b):
            let (op, t) = Self.binaryOp(b)
            try binary(op, t, t)
        case .conversion(let c):
            try visitConversion(c)
        case .memoryInit(let dataIndex, let mem):
            try requireMemory(mem)
            guard module.dataCount != nil else { throw fail("data count section required") }
            guard Int(dataIndex) < module.data.count else { throw fail("unknown data segment \(dataIndex)") }
            let n = try pop(.i32), s = try pop(.i32), d = try pop(.i32)
            if reachable { emitMemoryOp(.memoryInit, mem); emitWord(dataIndex); emitSlot(d.slot); emitSlot(s.slot); emitSlot(n.slot) }
        case .dataDrop(let dataIndex):
            guard module.dataCount != nil else { throw fail("data count section required") }
            guard Int(dataIndex) < module.data.count else { throw fail("unknown data segment \(dataIndex)") }
            if reachable { emitOp(.dataDrop); emitWord(dataIndex) }
        case .memoryCopy(let dst, let src):
            try requireMemory(dst)
            try requireMemory(src)
            let n = try pop(.i32), s = try pop(.i32), d = try pop(.i32)
            if reachable {
                if dst == 0 && src == 0 {
                    emitOp(.memoryCopy); emitSlot(d.slot); emitSlot(s.slot); emitSlot(n.slot)
                } else {
                    emitOp(.memIndexed); emitWord(UInt32(Op.memoryCopy.rawValue)); emitWord(dst)
                    emitSlot(d.slot); emitSlot(s.slot); emitSlot(n.slot); emitWord(src)
                }
            }
        case .memoryFill(let mem):
            try requireMemory(mem)
            let n = try pop(.i32), v = try pop(.i32), d = try pop(.i32)
            if reachable { emitMemoryOp(.memoryFill, mem); emitSlot(d.slot); emitSlot(v.slot); emitSlot(n.slot) }
        case .tableInit(let elemIndex, let table):
            guard let tt = module.tableType(table) else { throw fail("unknown table \(table)") }
            guard Int(elemIndex) < module.elements.count else { throw fail("unknown elem segment \(elemIndex)") }
            guard context.isSubtype(.ref(module.elements[Int(elemIndex)].type), of: .ref(tt.elementType)) else {
                throw fail("type mismatch: table.init of an element segment of another type")
            }
            let n = try pop(.i32), s = try pop(.i32), d = try pop(.i32)
            if reachable { emitOp(.tableInit); emitSlot(d.slot); emitSlot(s.slot); emitSlot(n.slot); emitWord(elemIndex); emitWord(table) }
        case .elemDrop(let elemIndex):
            guard Int(elemIndex) < module.elements.count else { throw fail("unknown elem segment \(elemIndex)") }
            if reachable { emitOp(.elemDrop); emitWord(elemIndex) }
        case .tableCopy(let dstTable, let srcTable):
            guard let dt = module.tableType(dstTable) else { throw fail("unknown table \(dstTable)") }
            guard let st = module.tableType(srcTable) else { throw fail("unknown table \(srcTable)") }
            guard context.isSubtype(.ref(st.elementType), of: .ref(dt.elementType)) else {
                throw fail("type mismatch: table.copy between tables of different types")
            }
            let n = try pop(.i32), s = try pop(.i32), d = try pop(.i32)
            if reachable { emitOp(.tableCopy); emitSlot(d.slot); emitSlot(s.slot); emitSlot(n.slot); emitWord(dstTable); emitWord(srcTable) }
        case .tableFill(let table):
            guard let tt = module.tableType(table) else { throw fail("unknown table \(table)") }
            let n = try pop(.i32), v = try pop(.ref(tt.elementType)), i = try pop(.i32)
            if reachable { emitOp(.tableFill); emitSlot(i.slot); emitSlot(v.slot); emitSlot(n.slot); emitWord(table) }
        case .tableGet(let table):
            guard let tt = module.tableType(table) else { throw fail("unknown table \(table)") }
            let i = try pop(.i32)
            let d = pushResult(.ref(tt.elementType))
            if reachable { emitOp(.tableGet); emitDestination(d); emitSlot(i.slot); emitWord(table) }
        case .tableSet(let table):
            guard let tt = module.tableType(table) else { throw fail("unknown table \(table)") }
            let v = try pop(.ref(tt.elementType)), i = try pop(.i32)
            if reachable { emitOp(.tableSet); emitSlot(i.slot); emitSlot(v.slot); emitWord(table) }
        case .tableGrow(let table):
            guard let tt = module.tableType(table) else { throw fail("unknown table \(table)") }
            let n = try pop(.i32), v = try pop(.ref(tt.elementType))
            let d = pushResult(.i32)
            if reachable { emitOp(.tableGrow); emitDestination(d); emitSlot(v.slot); emitSlot(n.slot); emitWord(table) }
        case .tableSize(let table):
            guard module.tableType(table) != nil else { throw fail("unknown table \(table)") }
            let d = pushResult(.i32)
            if reachable { emitOp(.tableSize); emitDestination(d); emitWord(table) }
        case .atomicFence:
            if reachable { emitOp(.fence) }
        case .memoryAtomicNotify(let memarg):
            try checkMemarg(memarg, natural: 2, atomic: true)
            let count = try pop(.i32), addr = try pop(.i32)
            let d = pushResult(.i32)
            if reachable { emitOp(.notify); emitDestination(d); emitSlot(addr.slot); emitSlot(count.slot); emitWord(UInt32(memarg.offset)) }
        case .memoryAtomicWait32(let memarg):
            try emitWait(.wait32, memarg, natural: 2, valueType: .i32)
        case .memoryAtomicWait64(let memarg):
            try emitWait(.wait64, memarg, natural: 3, valueType: .i64)
        case .i32AtomicRmwAdd(let m): try rmw(.rmwAdd32, m, .i32, 2)
        case .i64AtomicRmwAdd(let m): try rmw(.rmwAdd64, m, .i64, 3)
        case .i32AtomicRmw8AddU(let m): try rmw(.rmwAdd8, m, .i32, 0)
        case .i32AtomicRmw16AddU(let m): try rmw(.rmwAdd16, m, .i32, 1)
        case .i64AtomicRmw8AddU(let m): try rmw(.rmwAdd8, m, .i64, 0)
        case .i64AtomicRmw16AddU(let m): try rmw(.rmwAdd16, m, .i64, 1)
        case .i64AtomicRmw32AddU(let m): try rmw(.rmwAdd32, m, .i64, 2)
        case .i32AtomicRmwSub(let m): try rmw(.rmwSub32, m, .i32, 2)
        case .i64AtomicRmwSub(let m): try rmw(.rmwSub64, m, .i64, 3)
        case .i32AtomicRmw8SubU(let m): try rmw(.rmwSub8, m, .i32, 0)
        case .i32AtomicRmw16SubU(let m): try rmw(.rmwSub16, m, .i32, 1)
        case .i64AtomicRmw8SubU(let m): try rmw(.rmwSub8, m, .i64, 0)
        case .i64AtomicRmw16SubU(let m): try rmw(.rmwSub16, m, .i64, 1)
        case .i64AtomicRmw32SubU(let m): try rmw(.rmwSub32, m, .i64, 2)
        case .i32AtomicRmwAnd(let m): try rmw(.rmwAnd32, m, .i32, 2)
        case .i64AtomicRmwAnd(let m): try rmw(.rmwAnd64, m, .i64, 3)
        case .i32AtomicRmw8AndU(let m): try rmw(.rmwAnd8, m, .i32, 0)
        case .i32AtomicRmw16AndU(let m): try rmw(.rmwAnd16, m, .i32, 1)
        case .i64AtomicRmw8AndU(let m): try rmw(.rmwAnd8, m, .i64, 0)
        case .i64AtomicRmw16AndU(let m): try rmw(.rmwAnd16, m, .i64, 1)
        case .i64AtomicRmw32AndU(let m): try rmw(.rmwAnd32, m, .i64, 2)
        case .i32AtomicRmwOr(let m): try rmw(.rmwOr32, m, .i32, 2)
        case .i64AtomicRmwOr(let m): try rmw(.rmwOr64, m, .i64, 3)
        case .i32AtomicRmw8OrU(let m): try rmw(.rmwOr8, m, .i32, 0)
        case .i32AtomicRmw16OrU(let m): try rmw(.rmwOr16, m, .i32, 1)
        case .i64AtomicRmw8OrU(let m): try rmw(.rmwOr8, m, .i64, 0)
        case .i64AtomicRmw16OrU(let m): try rmw(.rmwOr16, m, .i64, 1)
        case .i64AtomicRmw32OrU(let m): try rmw(.rmwOr32, m, .i64, 2)
        case .i32AtomicRmwXor(let m): try rmw(.rmwXor32, m, .i32, 2)
        case .i64AtomicRmwXor(let m): try rmw(.rmwXor64, m, .i64, 3)
        case .i32AtomicRmw8XorU(let m): try rmw(.rmwXor8, m, .i32, 0)
        case .i32AtomicRmw16XorU(let m): try rmw(.rmwXor16, m, .i32, 1)
        case .i64AtomicRmw8XorU(let m): try rmw(.rmwXor8, m, .i64, 0)
        case .i64AtomicRmw16XorU(let m): try rmw(.rmwXor16, m, .i64, 1)
        case .i64AtomicRmw32XorU(let m): try rmw(.rmwXor32, m, .i64, 2)
        case .i32AtomicRmwXchg(let m): try rmw(.rmwXchg32, m, .i32, 2)
        case .i64AtomicRmwXchg(let m): try rmw(.rmwXchg64, m, .i64, 3)
        case .i32AtomicRmw8XchgU(let m): try rmw(.rmwXchg8, m, .i32, 0)
        case .i32AtomicRmw16XchgU(let m): try rmw(.rmwXchg16, m, .i32, 1)
        case .i64AtomicRmw8XchgU(let m): try rmw(.rmwXchg8, m, .i64, 0)
        case .i64AtomicRmw16XchgU(let m): try rmw(.rmwXchg16, m, .i64, 1)
        case .i64AtomicRmw32XchgU(let m): try rmw(.rmwXchg32, m, .i64, 2)
        case .i32AtomicRmwCmpxchg(let m): try cmpxchg(.cmpxchg32, m, .i32, 2)
        case .i64AtomicRmwCmpxchg(let m): try cmpxchg(.cmpxchg64, m, .i64, 3)
        case .i32AtomicRmw8CmpxchgU(let m): try cmpxchg(.cmpxchg8, m, .i32, 0)
        case .i32AtomicRmw16CmpxchgU(let m): try cmpxchg(.cmpxchg16, m, .i32, 1)
        case .i64AtomicRmw8CmpxchgU(let m): try cmpxchg(.cmpxchg8, m, .i64, 0)
        case .i64AtomicRmw16CmpxchgU(let m): try cmpxchg(.cmpxchg16, m, .i64, 1)
        case .i64AtomicRmw32CmpxchgU(let m): try cmpxchg(.cmpxchg32, m, .i64, 2)
        case .v128Const, .i8x16Shuffle, .simd, .simdLane, .simdMemLane:
            throw TranslationError(unsupported: "simd", detail: "SIMD instructions")
        default:
            throw TranslationError(unsupported: "gc", detail: "GC instruction \(instruction)")
        }
    }

    // MARK: - Helpers per instruction family

    func localType(_ i: UInt32) throws(TranslationError) -> ValueType {
        guard Int(i) < localTypes.count else { throw fail("unknown local \(i)") }
        return localTypes[Int(i)]
    }

    mutating func undoLocalInits(to count: Int) {
        while initLog.count > count { localInitialized[initLog.removeLast()] = false }
    }

    mutating func localWrite(_ i: UInt32, type t: ValueType, tee: Bool) throws(TranslationError) {
        let position = stack.count - 1
        let v = try pop(t)
        if !localInitialized[Int(i)] {
            localInitialized[Int(i)] = true
            initLog.append(Int(i))
        }
        guard reachable else {
            if tee { push(t) }
            return
        }
        if v.slot == i {  // local.get i; local.set i
            if tee { push(t, .local(i)) }
            return
        }
        let stillReferenced = stack.contains { $0.location == .local(i) }
        if let last = lastDestination, last.codeCount == code.count, v.slot == stackSlot(position), !stillReferenced {
            // Retarget the producing instruction to write the local directly.
            code[last.wordIndex] = i
            lastDestination = nil
        } else {
            materializeReferences(toLocal: i)
            emitOp(.copy)
            emitWord(i)
            emitSlot(v.slot)
        }
        if tee { push(t, .local(i)) }
    }

    mutating func emitDestination(_ tagged: UInt32) {
        let index = code.count
        emitSlot(tagged)
        lastDestination = (index, 0)
    }

    /// Marks the end of an instruction that wrote its destination with ``emitDestination``.
    mutating func sealDestination() {
        if var last = lastDestination {
            last.codeCount = code.count
            lastDestination = last
        }
    }

    mutating func pushConst(_ bits: UInt64, _ type: ValueType) {
        guard reachable else { push(type); return }
        if let c = constIndex[bits] {
            push(type, .const(c))
        } else if consts.count < Self.maxConsts {
            let c = UInt32(consts.count)
            consts.append(bits)
            constIndex[bits] = c
            push(type, .const(c))
        } else {
            let d = pushResult(type)
            if bits <= UInt64(UInt32.max) {
                emitOp(.const32); emitDestination(d); emitWord(UInt32(bits))
            } else {
                emitOp(.const64); emitDestination(d); emitWord(UInt32(truncatingIfNeeded: bits)); emitWord(UInt32(bits >> 32))
            }
            sealDestination()
        }
    }

    mutating func unary(_ op: Op, _ input: ValueType, _ output: ValueType) throws(TranslationError) {
        let a = try pop(input)
        let d = pushResult(output)
        if reachable {
            let start = emitOp(op); emitDestination(d); emitSlot(a.slot)
            sealDestination()
            if op == .i32Eqz || op == .i64Eqz { lastComparison = (start, code.count, op, a.slot, 0, d) }
        }
    }

    mutating func binary(_ op: Op, _ input: ValueType, _ output: ValueType) throws(TranslationError) {
        let b = try pop(input)
        let a = try pop(input)
        let d = pushResult(output)
        guard reachable else { return }
        // `x + c` and `x - c` with a constant c: one operand fewer to load.
        if op == .i32Add || op == .i32Sub, let c = constantValue(b.slot) ?? (op == .i32Add ? constantValue(a.slot) : nil) {
            let x = constantValue(b.slot) != nil ? a.slot : b.slot
            let imm = op == .i32Add ? UInt32(truncatingIfNeeded: c) : 0 &- UInt32(truncatingIfNeeded: c)
            emitOp(.i32AddImm); emitDestination(d); emitSlot(x); emitWord(imm)
            sealDestination()
            return
        }
        // `x * y + z`, `x * y - z` and `z - x * y` in one dispatch (still two roundings).
        if op == .f64Add || op == .f64Sub, let m = lastMultiply, m.end == code.count, a.slot == m.result || b.slot == m.result {
            let fused: Op = op == .f64Add ? .f64MulAdd : (a.slot == m.result ? .f64MulSub : .f64SubMul)
            let other = a.slot == m.result ? b.slot : a.slot
            unemit(from: m.start)
            emitOp(fused); emitDestination(d); emitSlot(m.a); emitSlot(m.b); emitSlot(other)
            sealDestination()
            return
        }
        let start = emitOp(op); emitDestination(d); emitSlot(a.slot); emitSlot(b.slot)
        sealDestination()
        if op == .f64Mul { lastMultiply = (start, code.count, a.slot, b.slot, d) }
        if op == .i32Add { lastAdd = (start, code.count, a.slot, b.slot, d) }
        if Self.fusableComparisons.contains(op) {
            lastComparison = (start, code.count, op, a.slot, b.slot, d)
        }
    }

    static let fusableComparisons: Set<Op> = [
        .i32Eqz, .i32Eq, .i32Ne, .i32LtS, .i32LtU, .i32GtS, .i32GtU, .i32LeS, .i32LeU, .i32GeS, .i32GeU,
        .i64Eqz, .i64Eq, .i64Ne, .i64LtS, .i64LtU, .i64GtS, .i64GtU, .i64LeS, .i64LeU, .i64GeS, .i64GeU,
    ]

    static let singleOperandBranches: Set<Op> = [.brIf, .brIfI32Eqz, .brIfI64Eqz, .brIfI64Nez]

    /// The value of a constant-slot operand.
    func constantValue(_ tagged: UInt32) -> UInt64? {
        guard tagged & Self.constTag != 0 else { return nil }
        return consts[Int(tagged & ~Self.constTag)]
    }

    /// If the condition in `slot` was produced by the instruction just emitted and that was an i32
    /// comparison, removes it and returns the fused branch that tests the same condition
    /// (`negated`: branch when the comparison is false).
    mutating func takeComparison(producing slot: UInt32, negated: Bool) -> (op: Op, a: UInt32, b: UInt32)? {
        guard let c = lastComparison, c.end == code.count, c.result == slot else { return nil }
        let a = c.a, b = c.b
        let fused: (Op, UInt32, UInt32)
        switch (c.op, negated) {
        case (.i32Eqz, false): fused = (.brIfI32Eqz, a, 0)
        case (.i32Eqz, true): fused = (.brIf, a, 0)
        case (.i32Eq, false), (.i32Ne, true): fused = (.brIfI32Eq, a, b)
        case (.i32Ne, false), (.i32Eq, true): fused = (.brIfI32Ne, a, b)
        case (.i32LtS, false), (.i32GeS, true): fused = (.brIfI32LtS, a, b)
        case (.i32LtU, false), (.i32GeU, true): fused = (.brIfI32LtU, a, b)
        case (.i32GeS, false), (.i32LtS, true): fused = (.brIfI32GeS, a, b)
        case (.i32GeU, false), (.i32LtU, true): fused = (.brIfI32GeU, a, b)
        case (.i32GtS, false), (.i32LeS, true): fused = (.brIfI32LtS, b, a)
        case (.i32GtU, false), (.i32LeU, true): fused = (.brIfI32LtU, b, a)
        case (.i32LeS, false), (.i32GtS, true): fused = (.brIfI32GeS, b, a)
        case (.i32LeU, false), (.i32GtU, true): fused = (.brIfI32GeU, b, a)
        case (.i64Eqz, false): fused = (.brIfI64Eqz, a, 0)
        case (.i64Eqz, true): fused = (.brIfI64Nez, a, 0)
        case (.i64Eq, false), (.i64Ne, true): fused = (.brIfI64Eq, a, b)
        case (.i64Ne, false), (.i64Eq, true): fused = (.brIfI64Ne, a, b)
        case (.i64LtS, false), (.i64GeS, true): fused = (.brIfI64LtS, a, b)
        case (.i64LtU, false), (.i64GeU, true): fused = (.brIfI64LtU, a, b)
        case (.i64GeS, false), (.i64LtS, true): fused = (.brIfI64GeS, a, b)
        case (.i64GeU, false), (.i64LtU, true): fused = (.brIfI64GeU, a, b)
        case (.i64GtS, false), (.i64LeS, true): fused = (.brIfI64LtS, b, a)
        case (.i64GtU, false), (.i64LeU, true): fused = (.brIfI64LtU, b, a)
        case (.i64LeS, false), (.i64GtS, true): fused = (.brIfI64GeS, b, a)
        case (.i64LeU, false), (.i64GtU, true): fused = (.brIfI64GeU, b, a)
        default: return nil
        }
        unemit(from: c.start)
        return fused
    }

    /// Removes the instructions from code index `start` on (only ever the last one).
    mutating func unemit(from start: Int) {
        code.removeSubrange(start...)
        slotOperands.removeAll { $0 >= start }
        while let last = instructionStarts.last, Int(last) >= start { instructionStarts.removeLast() }
        while let last = codeIndices.last, Int(last) >= start {
            codeIndices.removeLast()
            wasmOffsets.removeLast()
        }
        lastDestination = nil
        lastComparison = nil
        lastMultiply = nil
        lastAdd = nil
    }

    /// A fused compare-and-branch can jump straight to the label: no values to move.
    func fusableTarget(depth: Int) -> Bool {
        let l = controls[controls.count - 1 - depth]
        return l.kind != .function && !branchNeedsCopies(to: l)
    }

    mutating func emitFusedBranch(_ f: (op: Op, a: UInt32, b: UInt32), depth: Int) {
        let index = controls.count - 1 - depth
        let start = emitOp(f.op)
        emitSlot(f.a)
        if !Self.singleOperandBranches.contains(f.op) { emitSlot(f.b) }
        let w = emitTargetPlaceholder()
        if controls[index].kind == .loop {
            patchTarget(instruction: start, word: w, to: controls[index].loopStart)
        } else {
            controls[index].pendingBranches.append((start, w))
        }
    }

    mutating func emitSelect(_ a: (type: ValueType?, slot: UInt32), _ b: (type: ValueType?, slot: UInt32), _ c: (type: ValueType?, slot: UInt32), type: ValueType?) {
        let d = pushResult(type)
        if reachable {
            emitOp(.select); emitDestination(d); emitSlot(a.slot); emitSlot(b.slot); emitSlot(c.slot)
            sealDestination()
        }
    }

    mutating func emitCall(_ ft: FunctionType, _ emitHead: (inout Translator) -> Void) throws(TranslationError) {
        try checkTop(ft.parameters)
        let n = ft.parameters.count
        if reachable { materializeTop(n) }
        let base = stack.count - n
        try popValues(ft.parameters)
        if reachable {
            emitHead(&self)
            emitSlot(stackSlot(base))
            let extent = base + max(n, ft.results.count)
            if extent > maxHeight { maxHeight = extent }
        }
        for r in ft.results { push(r) }
    }

    /// `br_if`: a direct conditional branch when no values move, else a skip around a jump.
    mutating func emitConditionalBranch(depth: Int, condition: UInt32) {
        let index = controls.count - 1 - depth
        let l = controls[index]
        if l.kind == .function || branchNeedsCopies(to: l) {
            let start = emitOp(.brIfNot)
            emitSlot(condition)
            let skip = emitTargetPlaceholder()
            emitJump(toDepth: depth)
            patchTarget(instruction: start, word: skip, to: code.count)
        } else if l.kind == .loop {
            let start = emitOp(.brIfBack)
            emitSlot(condition)
            let w = emitTargetPlaceholder()
            patchTarget(instruction: start, word: w, to: l.loopStart)
        } else {
            let start = emitOp(.brIf)
            emitSlot(condition)
            let w = emitTargetPlaceholder()
            controls[index].pendingBranches.append((start, w))
        }
    }

    /// After a conditional branch the values on the stack take the label's types; their
    /// locations do not change.
    mutating func retype(_ types: [ValueType]) throws(TranslationError) {
        let saved = stack
        try popValues(types)
        if stack.count + types.count == saved.count {
            stack = saved
            for (k, t) in types.enumerated() { stack[saved.count - types.count + k].type = t }
        } else {
            for t in types { push(t) }
        }
    }

    mutating func emitBranchTable(_ targets: BrTable, condition: UInt32) {
        let all = targets.labelIndices + [targets.defaultIndex]
        let start = emitOp(.brTable)
        emitSlot(condition)
        emitWord(UInt32(targets.labelIndices.count))
        let firstWord = code.count
        for _ in all { code.append(0) }
        for (k, depth) in all.enumerated() {
            let index = controls.count - 1 - Int(depth)
            let l = controls[index]
            let word = firstWord + k
            if l.kind == .block || l.kind == .if || l.kind == .else, !branchNeedsCopies(to: l) {
                controls[index].pendingBranches.append((start, word))
            } else {
                // A small trampoline: copies, then the jump.
                patchTarget(instruction: start, word: word, to: code.count)
                emitJump(toDepth: Int(depth))
            }
        }
    }

    mutating func endOfBlockChecks() throws(TranslationError) {
        let c = controls[controls.count - 1]
        let saved = stack
        try popValues(c.endTypes)
        let extra = stack.count - c.height
        stack = saved
        guard extra == 0 else {
            throw fail("type mismatch: \(extra) extra value(s) at the end of a block")
        }
    }

    func requireMemory(_ index: UInt32) throws(TranslationError) {
        guard module.memoryType(index) != nil else { throw fail("unknown memory \(index)") }
    }

    func checkMemarg(_ m: MemArg, natural: Int, atomic: Bool) throws(TranslationError) {
        try requireMemory(m.memory)
        if atomic && m.memory != 0 {
            throw TranslationError(unsupported: "multi-memory", detail: "atomic access to memory \(m.memory)")
        }
        if atomic {
            guard m.align == natural else { throw fail("invalid alignment: atomic accesses must be naturally aligned") }
        } else {
            guard m.align <= natural else { throw fail("alignment must not be larger than natural") }
        }
        guard m.offset <= UInt64(UInt32.max) else { throw fail("offset out of range") }
    }

    mutating func visitLoad(_ load: Instruction.Load, _ m: MemArg) throws(TranslationError) {
        let op: Op, t: ValueType, natural: Int, atomic: Bool
        switch load {
        case .i32Load: (op, t, natural, atomic) = (.load32u, .i32, 2, false)
        case .i64Load: (op, t, natural, atomic) = (.load64, .i64, 3, false)
        case .f32Load: (op, t, natural, atomic) = (.load32u, .f32, 2, false)
        case .f64Load: (op, t, natural, atomic) = (.load64, .f64, 3, false)
        case .i32Load8S: (op, t, natural, atomic) = (.load8s, .i32, 0, false)
        case .i32Load8U: (op, t, natural, atomic) = (.load8u, .i32, 0, false)
        case .i32Load16S: (op, t, natural, atomic) = (.load16s, .i32, 1, false)
        case .i32Load16U: (op, t, natural, atomic) = (.load16u, .i32, 1, false)
        case .i64Load8S: (op, t, natural, atomic) = (.load8s, .i64, 0, false)
        case .i64Load8U: (op, t, natural, atomic) = (.load8u, .i64, 0, false)
        case .i64Load16S: (op, t, natural, atomic) = (.load16s, .i64, 1, false)
        case .i64Load16U: (op, t, natural, atomic) = (.load16u, .i64, 1, false)
        case .i64Load32S: (op, t, natural, atomic) = (.load32s, .i64, 2, false)
        case .i64Load32U: (op, t, natural, atomic) = (.load32u, .i64, 2, false)
        case .i32AtomicLoad: (op, t, natural, atomic) = (.atomicLoad32, .i32, 2, true)
        case .i64AtomicLoad: (op, t, natural, atomic) = (.atomicLoad64, .i64, 3, true)
        case .i32AtomicLoad8U: (op, t, natural, atomic) = (.atomicLoad8, .i32, 0, true)
        case .i32AtomicLoad16U: (op, t, natural, atomic) = (.atomicLoad16, .i32, 1, true)
        case .i64AtomicLoad8U: (op, t, natural, atomic) = (.atomicLoad8, .i64, 0, true)
        case .i64AtomicLoad16U: (op, t, natural, atomic) = (.atomicLoad16, .i64, 1, true)
        case .i64AtomicLoad32U: (op, t, natural, atomic) = (.atomicLoad32, .i64, 2, true)
        default: throw TranslationError(unsupported: "simd", detail: "v128 loads")
        }
        try checkMemarg(m, natural: natural, atomic: atomic)
        let a = try pop(.i32)
        let d = pushResult(t)
        if reachable {
            if m.memory == 0, let indexed = Self.indexedForm[op], let add = takeAdd(producing: a.slot) {
                emitOp(indexed); emitDestination(d); emitSlot(add.a); emitSlot(add.b); emitWord(UInt32(m.offset))
            } else {
                emitMemoryOp(op, m.memory); emitDestination(d); emitSlot(a.slot); emitWord(UInt32(m.offset))
            }
            sealDestination()
        }
    }

    mutating func visitStore(_ store: Instruction.Store, _ m: MemArg) throws(TranslationError) {
        let op: Op, t: ValueType, natural: Int, atomic: Bool
        switch store {
        case .i32Store: (op, t, natural, atomic) = (.store32, .i32, 2, false)
        case .i64Store: (op, t, natural, atomic) = (.store64, .i64, 3, false)
        case .f32Store: (op, t, natural, atomic) = (.store32, .f32, 2, false)
        case .f64Store: (op, t, natural, atomic) = (.store64, .f64, 3, false)
        case .i32Store8: (op, t, natural, atomic) = (.store8, .i32, 0, false)
        case .i32Store16: (op, t, natural, atomic) = (.store16, .i32, 1, false)
        case .i64Store8: (op, t, natural, atomic) = (.store8, .i64, 0, false)
        case .i64Store16: (op, t, natural, atomic) = (.store16, .i64, 1, false)
        case .i64Store32: (op, t, natural, atomic) = (.store32, .i64, 2, false)
        case .i32AtomicStore: (op, t, natural, atomic) = (.atomicStore32, .i32, 2, true)
        case .i64AtomicStore: (op, t, natural, atomic) = (.atomicStore64, .i64, 3, true)
        case .i32AtomicStore8: (op, t, natural, atomic) = (.atomicStore8, .i32, 0, true)
        case .i32AtomicStore16: (op, t, natural, atomic) = (.atomicStore16, .i32, 1, true)
        case .i64AtomicStore8: (op, t, natural, atomic) = (.atomicStore8, .i64, 0, true)
        case .i64AtomicStore16: (op, t, natural, atomic) = (.atomicStore16, .i64, 1, true)
        case .i64AtomicStore32: (op, t, natural, atomic) = (.atomicStore32, .i64, 2, true)
        default: throw TranslationError(unsupported: "simd", detail: "v128 stores")
        }
        try checkMemarg(m, natural: natural, atomic: atomic)
        let v = try pop(t)
        let a = try pop(.i32)
        guard reachable else { return }
        if m.memory == 0, let indexed = Self.indexedForm[op], let add = takeAdd(producing: a.slot) {
            emitOp(indexed); emitSlot(add.a); emitSlot(add.b); emitSlot(v.slot); emitWord(UInt32(m.offset))
        } else {
            emitMemoryOp(op, m.memory); emitSlot(a.slot); emitSlot(v.slot); emitWord(UInt32(m.offset))
        }
    }

    /// Plain accesses that have a form taking the address as the sum of two slots.
    static let indexedForm: [Op: Op] = [
        .load8s: .load8sX, .load8u: .load8uX, .load16s: .load16sX, .load16u: .load16uX, .load32s: .load32sX,
        .load32u: .load32uX, .load64: .load64X, .store8: .store8X, .store16: .store16X, .store32: .store32X,
        .store64: .store64X,
    ]

    /// If `slot` holds the result of the `i32.add` just emitted, removes that add and returns its operands.
    mutating func takeAdd(producing slot: UInt32) -> (a: UInt32, b: UInt32)? {
        guard let add = lastAdd, add.end == code.count, add.result == slot else { return nil }
        unemit(from: add.start)
        return (add.a, add.b)
    }

    /// Starts a memory instruction on memory `mem`: its own opcode for memory 0, else ``Op/memIndexed``.
    mutating func emitMemoryOp(_ op: Op, _ mem: UInt32) {
        if mem == 0 {
            emitOp(op)
        } else {
            emitOp(.memIndexed)
            emitWord(UInt32(op.rawValue))
            emitWord(mem)
        }
    }

    mutating func rmw(_ op: Op, _ m: MemArg, _ t: ValueType, _ natural: Int) throws(TranslationError) {
        try checkMemarg(m, natural: natural, atomic: true)
        let v = try pop(t)
        let a = try pop(.i32)
        let d = pushResult(t)
        if reachable {
            emitOp(op); emitDestination(d); emitSlot(a.slot); emitSlot(v.slot); emitWord(UInt32(m.offset))
            sealDestination()
        }
    }

    mutating func cmpxchg(_ op: Op, _ m: MemArg, _ t: ValueType, _ natural: Int) throws(TranslationError) {
        try checkMemarg(m, natural: natural, atomic: true)
        let r = try pop(t)
        let e = try pop(t)
        let a = try pop(.i32)
        let d = pushResult(t)
        if reachable {
            emitOp(op); emitDestination(d); emitSlot(a.slot); emitSlot(e.slot); emitSlot(r.slot); emitWord(UInt32(m.offset))
            sealDestination()
        }
    }

    mutating func emitWait(_ op: Op, _ m: MemArg, natural: Int, valueType: ValueType) throws(TranslationError) {
        try checkMemarg(m, natural: natural, atomic: true)
        let timeout = try pop(.i64)
        let expected = try pop(valueType)
        let addr = try pop(.i32)
        let d = pushResult(.i32)
        if reachable {
            emitOp(op); emitDestination(d); emitSlot(addr.slot); emitSlot(expected.slot); emitSlot(timeout.slot)
            emitWord(UInt32(m.offset))
        }
    }

    func checkHeapType(_ h: HeapType) throws(TranslationError) {
        if case .concrete(let i) = h, Int(i) >= module.types.count { throw fail("unknown type \(i)") }
    }

    mutating func visitConversion(_ c: Instruction.Conversion) throws(TranslationError) {
        switch c {
        case .i32WrapI64: try reinterpret(.i64, .i32)  // an i32 reads only the low 32 bits of its slot
        case .i32TruncF32S: try unary(.i32TruncF32S, .f32, .i32)
        case .i32TruncF32U: try unary(.i32TruncF32U, .f32, .i32)
        case .i32TruncF64S: try unary(.i32TruncF64S, .f64, .i32)
        case .i32TruncF64U: try unary(.i32TruncF64U, .f64, .i32)
        case .i64ExtendI32S: try unary(.i64ExtendI32S, .i32, .i64)
        case .i64ExtendI32U: try unary(.i64ExtendI32U, .i32, .i64)
        case .i64TruncF32S: try unary(.i64TruncF32S, .f32, .i64)
        case .i64TruncF32U: try unary(.i64TruncF32U, .f32, .i64)
        case .i64TruncF64S: try unary(.i64TruncF64S, .f64, .i64)
        case .i64TruncF64U: try unary(.i64TruncF64U, .f64, .i64)
        case .f32ConvertI32S: try unary(.f32ConvertI32S, .i32, .f32)
        case .f32ConvertI32U: try unary(.f32ConvertI32U, .i32, .f32)
        case .f32ConvertI64S: try unary(.f32ConvertI64S, .i64, .f32)
        case .f32ConvertI64U: try unary(.f32ConvertI64U, .i64, .f32)
        case .f32DemoteF64: try unary(.f32DemoteF64, .f64, .f32)
        case .f64ConvertI32S: try unary(.f64ConvertI32S, .i32, .f64)
        case .f64ConvertI32U: try unary(.f64ConvertI32U, .i32, .f64)
        case .f64ConvertI64S: try unary(.f64ConvertI64S, .i64, .f64)
        case .f64ConvertI64U: try unary(.f64ConvertI64U, .i64, .f64)
        case .f64PromoteF32: try unary(.f64PromoteF32, .f32, .f64)
        case .i32ReinterpretF32: try reinterpret(.f32, .i32)
        case .i64ReinterpretF64: try reinterpret(.f64, .i64)
        case .f32ReinterpretI32: try reinterpret(.i32, .f32)
        case .f64ReinterpretI64: try reinterpret(.i64, .f64)
        case .i32TruncSatF32S: try unary(.i32TruncSatF32S, .f32, .i32)
        case .i32TruncSatF32U: try unary(.i32TruncSatF32U, .f32, .i32)
        case .i32TruncSatF64S: try unary(.i32TruncSatF64S, .f64, .i32)
        case .i32TruncSatF64U: try unary(.i32TruncSatF64U, .f64, .i32)
        case .i64TruncSatF32S: try unary(.i64TruncSatF32S, .f32, .i64)
        case .i64TruncSatF32U: try unary(.i64TruncSatF32U, .f32, .i64)
        case .i64TruncSatF64S: try unary(.i64TruncSatF64S, .f64, .i64)
        case .i64TruncSatF64U: try unary(.i64TruncSatF64U, .f64, .i64)
        }
    }

    /// Reinterpretation keeps the bits: only the static type changes, no code.
    mutating func reinterpret(_ from: ValueType, _ to: ValueType) throws(TranslationError) {
        let position = stack.count - 1
        let location = stack.last?.location ?? .stack
        try pop(from)
        if stack.count == position { push(to, location) } else { push(to) }
    }

    static func cmpOp(_ c: Instruction.Cmp) -> (Op, ValueType) {
        switch c {
        case .i32Eq: return (.i32Eq, .i32)
        case .i32Ne: return (.i32Ne, .i32)
        case .i32LtS: return (.i32LtS, .i32)
        case .i32LtU: return (.i32LtU, .i32)
        case .i32GtS: return (.i32GtS, .i32)
        case .i32GtU: return (.i32GtU, .i32)
        case .i32LeS: return (.i32LeS, .i32)
        case .i32LeU: return (.i32LeU, .i32)
        case .i32GeS: return (.i32GeS, .i32)
        case .i32GeU: return (.i32GeU, .i32)
        case .i64Eq: return (.i64Eq, .i64)
        case .i64Ne: return (.i64Ne, .i64)
        case .i64LtS: return (.i64LtS, .i64)
        case .i64LtU: return (.i64LtU, .i64)
        case .i64GtS: return (.i64GtS, .i64)
        case .i64GtU: return (.i64GtU, .i64)
        case .i64LeS: return (.i64LeS, .i64)
        case .i64LeU: return (.i64LeU, .i64)
        case .i64GeS: return (.i64GeS, .i64)
        case .i64GeU: return (.i64GeU, .i64)
        case .f32Eq: return (.f32Eq, .f32)
        case .f32Ne: return (.f32Ne, .f32)
        case .f32Lt: return (.f32Lt, .f32)
        case .f32Gt: return (.f32Gt, .f32)
        case .f32Le: return (.f32Le, .f32)
        case .f32Ge: return (.f32Ge, .f32)
        case .f64Eq: return (.f64Eq, .f64)
        case .f64Ne: return (.f64Ne, .f64)
        case .f64Lt: return (.f64Lt, .f64)
        case .f64Gt: return (.f64Gt, .f64)
        case .f64Le: return (.f64Le, .f64)
        case .f64Ge: return (.f64Ge, .f64)
        }
    }

    static func unaryOp(_ u: Instruction.Unary) -> (Op, ValueType) {
        switch u {
        case .i32Clz: return (.i32Clz, .i32)
        case .i32Ctz: return (.i32Ctz, .i32)
        case .i32Popcnt: return (.i32Popcnt, .i32)
        case .i64Clz: return (.i64Clz, .i64)
        case .i64Ctz: return (.i64Ctz, .i64)
        case .i64Popcnt: return (.i64Popcnt, .i64)
        case .f32Abs: return (.f32Abs, .f32)
        case .f32Neg: return (.f32Neg, .f32)
        case .f32Ceil: return (.f32Ceil, .f32)
        case .f32Floor: return (.f32Floor, .f32)
        case .f32Trunc: return (.f32Trunc, .f32)
        case .f32Nearest: return (.f32Nearest, .f32)
        case .f32Sqrt: return (.f32Sqrt, .f32)
        case .f64Abs: return (.f64Abs, .f64)
        case .f64Neg: return (.f64Neg, .f64)
        case .f64Ceil: return (.f64Ceil, .f64)
        case .f64Floor: return (.f64Floor, .f64)
        case .f64Trunc: return (.f64Trunc, .f64)
        case .f64Nearest: return (.f64Nearest, .f64)
        case .f64Sqrt: return (.f64Sqrt, .f64)
        case .i32Extend8S: return (.i32Extend8S, .i32)
        case .i32Extend16S: return (.i32Extend16S, .i32)
        case .i64Extend8S: return (.i64Extend8S, .i64)
        case .i64Extend16S: return (.i64Extend16S, .i64)
        case .i64Extend32S: return (.i64Extend32S, .i64)
        }
    }

    static func binaryOp(_ b: Instruction.Binary) -> (Op, ValueType) {
        switch b {
        case .i32Add: return (.i32Add, .i32)
        case .i32Sub: return (.i32Sub, .i32)
        case .i32Mul: return (.i32Mul, .i32)
        case .i32DivS: return (.i32DivS, .i32)
        case .i32DivU: return (.i32DivU, .i32)
        case .i32RemS: return (.i32RemS, .i32)
        case .i32RemU: return (.i32RemU, .i32)
        case .i32And: return (.i32And, .i32)
        case .i32Or: return (.i32Or, .i32)
        case .i32Xor: return (.i32Xor, .i32)
        case .i32Shl: return (.i32Shl, .i32)
        case .i32ShrS: return (.i32ShrS, .i32)
        case .i32ShrU: return (.i32ShrU, .i32)
        case .i32Rotl: return (.i32Rotl, .i32)
        case .i32Rotr: return (.i32Rotr, .i32)
        case .i64Add: return (.i64Add, .i64)
        case .i64Sub: return (.i64Sub, .i64)
        case .i64Mul: return (.i64Mul, .i64)
        case .i64DivS: return (.i64DivS, .i64)
        case .i64DivU: return (.i64DivU, .i64)
        case .i64RemS: return (.i64RemS, .i64)
        case .i64RemU: return (.i64RemU, .i64)
        case .i64And: return (.i64And, .i64)
        case .i64Or: return (.i64Or, .i64)
        case .i64Xor: return (.i64Xor, .i64)
        case .i64Shl: return (.i64Shl, .i64)
        case .i64ShrS: return (.i64ShrS, .i64)
        case .i64ShrU: return (.i64ShrU, .i64)
        case .i64Rotl: return (.i64Rotl, .i64)
        case .i64Rotr: return (.i64Rotr, .i64)
        case .f32Add: return (.f32Add, .f32)
        case .f32Sub: return (.f32Sub, .f32)
        case .f32Mul: return (.f32Mul, .f32)
        case .f32Div: return (.f32Div, .f32)
        case .f32Min: return (.f32Min, .f32)
        case .f32Max: return (.f32Max, .f32)
        case .f32Copysign: return (.f32Copysign, .f32)
        case .f64Add: return (.f64Add, .f64)
        case .f64Sub: return (.f64Sub, .f64)
        case .f64Mul: return (.f64Mul, .f64)
        case .f64Div: return (.f64Div, .f64)
        case .f64Min: return (.f64Min, .f64)
        case .f64Max: return (.f64Max, .f64)
        case .f64Copysign: return (.f64Copysign, .f64)
        }
    }
}

/// A validation or translation failure inside a function body: one line with function and offset.
public struct TranslationError: Error, CustomStringConvertible {
    public enum Kind: Sendable { case invalid, malformed, unsupported(feature: String) }
    public let kind: Kind
    public let message: String
    public var functionIndex: UInt32?
    public var offset: Int?

    init(_ message: String, functionIndex: UInt32?, offset: Int?) {
        self.kind = .invalid
        self.message = message
        self.functionIndex = functionIndex
        self.offset = offset
    }

    init(malformed message: String, functionIndex: UInt32?) {
        self.kind = .malformed
        self.message = message
        self.functionIndex = functionIndex
    }

    init(unsupported feature: String, detail: String) {
        self.kind = .unsupported(feature: feature)
        self.message = detail
    }

    func with(functionIndex: UInt32) -> TranslationError {
        var e = self
        if e.functionIndex == nil { e.functionIndex = functionIndex }
        return e
    }

    public var description: String {
        var where_ = ""
        if let f = functionIndex { where_ += " in function \(f)" }
        if let o = offset { where_ += " at offset 0x\(String(o, radix: 16))" }
        return "\(message)\(where_)"
    }
}

extension ValueType {
    var isDefaultable: Bool {
        if case .ref(let r) = self { return r.isNullable }
        return true
    }

    var isReference: Bool {
        if case .ref = self { return true }
        return false
    }

    var nonNullable: ValueType {
        if case .ref(var r) = self { r.isNullable = false; return .ref(r) }
        return self
    }

    public var text: String {
        switch self {
        case .i32: return "i32"
        case .i64: return "i64"
        case .f32: return "f32"
        case .f64: return "f64"
        case .v128: return "v128"
        case .ref(let r):
            let heap: String
            switch r.heapType {
            case .abstract(.funcRef): heap = "func"
            case .abstract(.externRef): heap = "extern"
            case .abstract(let a): heap = "\(a)"
            case .concrete(let i): heap = "\(i)"
            }
            return r.isNullable ? "(ref null \(heap))" : "(ref \(heap))"
        }
    }
}
