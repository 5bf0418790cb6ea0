/// Weft's internal instruction set.
///
/// Code is a stream of 32-bit words: an opcode word followed by its operands. Operands named
/// `d` (destination) and `a`, `b`, `c` (sources) are frame slot indices: a function's frame holds
/// its locals, then its constants, then its operand-stack temporaries, all as untyped 64-bit slots.
/// Branch operands are word offsets relative to the opcode word. `off` of a memory access is the
/// static offset of the memarg. The layout of each instruction is listed next to it; the
/// translator (`Translator`) writes it and the execution loop (`Interpreter.swift`) reads it.
@usableFromInline
enum Op: UInt16, CaseIterable, Sendable {
    // MARK: control
    case unreachable        // —
    case br                 // target
    case brBack             // target (a back edge: counts as a yield point)
    case brIf               // a target
    case brIfNot            // a target
    case brIfBack           // a target
    case brTable            // a n target*(n+1)
    case call               // func base
    case callIndirect       // type table a base
    case callRef            // type a base
    case ret                // —
    case copy               // d a
    case const32            // d imm
    case const64            // d lo hi
    case select             // d a b c   (d = c != 0 ? a : b)
    case globalGet          // d global
    case globalSet          // global a
    case refIsNull          // d a
    case refFunc            // d func
    case refAsNonNull       // a
    case brOnNull           // a target
    case brOnNonNull        // a target

    // MARK: memory (d a off) for loads, (a b off) for stores: a = address, b = value
    case load8s, load8u, load16s, load16u, load32s, load32u, load64
    case store8, store16, store32, store64
    case memorySize         // d
    case memoryGrow         // d a
    case memoryFill         // a b c  (dst, value, n)
    case memoryCopy         // a b c  (dst, src, n)
    case memoryInit         // seg a b c  (dst, src, n)
    case dataDrop           // seg

    // Address = a + b (an `i32.add` fused into the access): loads d a b off, stores a b v off.
    case load8sX, load8uX, load16sX, load16uX, load32sX, load32uX, load64X
    case store8X, store16X, store32X, store64X

    // MARK: atomics (loads/stores as above; rmw: d a b off; cmpxchg: d a b c off)
    case atomicLoad8, atomicLoad16, atomicLoad32, atomicLoad64
    case atomicStore8, atomicStore16, atomicStore32, atomicStore64
    case rmwAdd8, rmwAdd16, rmwAdd32, rmwAdd64
    case rmwSub8, rmwSub16, rmwSub32, rmwSub64
    case rmwAnd8, rmwAnd16, rmwAnd32, rmwAnd64
    case rmwOr8, rmwOr16, rmwOr32, rmwOr64
    case rmwXor8, rmwXor16, rmwXor32, rmwXor64
    case rmwXchg8, rmwXchg16, rmwXchg32, rmwXchg64
    case cmpxchg8, cmpxchg16, cmpxchg32, cmpxchg64
    case wait32             // d a b c off (address, expected, timeout)
    case wait64             // d a b c off
    case notify             // d a b off (address, count)
    case fence              // —

    // MARK: tables
    case tableGet           // d a table
    case tableSet           // a b table
    case tableSize          // d table
    case tableGrow          // d a b table (init, n)
    case tableFill          // a b c table (i, value, n)
    case tableCopy          // a b c dstTable srcTable
    case tableInit          // a b c seg table
    case elemDrop           // seg

    // MARK: i32 (unary: d a, binary: d a b)
    case i32Eqz, i32Eq, i32Ne, i32LtS, i32LtU, i32GtS, i32GtU, i32LeS, i32LeU, i32GeS, i32GeU
    case i32Clz, i32Ctz, i32Popcnt
    case i32Add, i32Sub, i32Mul, i32DivS, i32DivU, i32RemS, i32RemU
    case i32And, i32Or, i32Xor, i32Shl, i32ShrS, i32ShrU, i32Rotl, i32Rotr
    // MARK: i64
    case i64Eqz, i64Eq, i64Ne, i64LtS, i64LtU, i64GtS, i64GtU, i64LeS, i64LeU, i64GeS, i64GeU
    case i64Clz, i64Ctz, i64Popcnt
    case i64Add, i64Sub, i64Mul, i64DivS, i64DivU, i64RemS, i64RemU
    case i64And, i64Or, i64Xor, i64Shl, i64ShrS, i64ShrU, i64Rotl, i64Rotr
    // MARK: f32
    case f32Eq, f32Ne, f32Lt, f32Gt, f32Le, f32Ge
    case f32Abs, f32Neg, f32Ceil, f32Floor, f32Trunc, f32Nearest, f32Sqrt
    case f32Add, f32Sub, f32Mul, f32Div, f32Min, f32Max, f32Copysign
    // MARK: f64
    case f64Eq, f64Ne, f64Lt, f64Gt, f64Le, f64Ge
    case f64Abs, f64Neg, f64Ceil, f64Floor, f64Trunc, f64Nearest, f64Sqrt
    case f64Add, f64Sub, f64Mul, f64Div, f64Min, f64Max, f64Copysign
    // MARK: conversions (d a)
    case i32WrapI64
    case i32TruncF32S, i32TruncF32U, i32TruncF64S, i32TruncF64U
    case i64ExtendI32S, i64ExtendI32U
    case i64TruncF32S, i64TruncF32U, i64TruncF64S, i64TruncF64U
    case f32ConvertI32S, f32ConvertI32U, f32ConvertI64S, f32ConvertI64U, f32DemoteF64
    case f64ConvertI32S, f64ConvertI32U, f64ConvertI64S, f64ConvertI64U, f64PromoteF32
    case i32Extend8S, i32Extend16S, i64Extend8S, i64Extend16S, i64Extend32S
    case i32TruncSatF32S, i32TruncSatF32U, i32TruncSatF64S, i32TruncSatF64U
    case i64TruncSatF32S, i64TruncSatF32U, i64TruncSatF64S, i64TruncSatF64U

    // MARK: fused forms the translator emits for common pairs
    case i32AddImm          // d a imm
    case f64MulAdd          // d a b c  (d = a * b + c, rounded twice like the two instructions)
    case f64MulSub          // d a b c  (d = a * b - c)
    case f64SubMul          // d a b c  (d = c - a * b)
    case brIfI32Eqz         // a target  (branch when a == 0)
    case brIfI32LtS, brIfI32LtU, brIfI32GeS, brIfI32GeU, brIfI32Eq, brIfI32Ne  // a b target
    case brIfI64Eqz, brIfI64Nez  // a target
    case brIfI64LtS, brIfI64LtU, brIfI64GeS, brIfI64GeU, brIfI64Eq, brIfI64Ne  // a b target
    // (A fused branch whose target is behind it is a back edge and charges the yield budget.)

    // MARK: multi-memory
    /// A memory instruction on a memory other than 0: `baseOp mem` then the base op's operands
    /// (`memory.copy` adds the source memory as a last word). Executed off the fast path.
    case memIndexed

    // MARK: debugging
    case breakpoint         // (replaces an opcode word; the original is kept aside)
    /// Never in code: the debugging loop dispatches it instead of the next instruction when the
    /// instruction count reaches its limit (a select, not a branch, so each case keeps its own
    /// dispatch jump).
    case debugCheck
}

extension Op {
    /// The opcode of a code word. Cases are numbered in declaration order from 0, which is also
    /// their in-memory tag, so this is a plain reinterpretation (the translator only writes valid ones).
    @inline(__always)
    static func decode(_ word: UInt32) -> Op {
        if MemoryLayout<Op>.size == 1 {
            return unsafeBitCast(UInt8(truncatingIfNeeded: word), to: Op.self)
        }
        return unsafeBitCast(UInt16(truncatingIfNeeded: word), to: Op.self)
    }
}
