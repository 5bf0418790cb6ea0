/// A variable's type from the DWARF debug information, resolved far enough to print a value:
/// base types with their encoding, pointers with what they point to, arrays with their element,
/// enumerations with their constants. Structures and unions carry their name, size and
/// ``dieOffset``, through which ``ModuleSourceInfo/members(of:)`` reads their members on demand
/// (so a `struct node` holding a `struct node *` is no endless type).
///
/// Typedefs and `const`/`volatile`/`restrict`/`_Atomic` are resolved to their target: the
/// `kind` and `byteSize` are the target's, the `name` is what the source wrote (`counter_t`,
/// `const char *`).
public struct SourceType: Sendable, Equatable, CustomStringConvertible {
    /// The name as C would write the type: `int`, `char *`, `rt_barrier_t`, `struct point`, `short[4]`.
    public var name: String
    /// Size in bytes; nil when the debug information does not say (incomplete types, `void`).
    public var byteSize: Int?
    public var kind: Kind
    /// For structures and unions (and typedefs or qualified forms of them): the offset of the
    /// type's DIE in `.debug_info`, which ``ModuleSourceInfo/members(of:)`` reads the members
    /// from. Nil for other types and for types made by hand. Not compared by `==`: two types
    /// are equal when they are written and sized alike.
    public var dieOffset: Int?

    public indirect enum Kind: Sendable, Equatable {
        /// `DW_TAG_base_type`.
        case base(BaseEncoding)
        /// A pointer (or C++ reference) to a type; nil pointee for `void *`.
        case pointer(to: SourceType?)
        case structure
        case union
        /// An array of `count` elements (nil when unknown, as in `int[]`). Multi-dimensional
        /// arrays are arrays of arrays.
        case array(element: SourceType?, count: Int?)
        /// An enumeration and its constants.
        case enumeration([Enumerator])
        /// A function type (what a function pointer points to).
        case function
        /// `void` (the type of nothing), or an unnamed unspecified type.
        case void
        /// A type Weft does not describe (the DWARF tag, for messages).
        case other(tag: UInt64)
    }

    /// How a base type's bytes are to be read (`DW_AT_encoding`).
    public enum BaseEncoding: Sendable, Equatable {
        case signed
        case unsigned
        case float
        case boolean
        /// `char`/`signed char` (DW_ATE_signed_char); plain `char` is signed on wasm32.
        case signedChar
        /// `unsigned char`, `char8_t` (DW_ATE_unsigned_char, DW_ATE_UTF).
        case unsignedChar
        /// Another encoding (complex, decimal, fixed point…): the `DW_ATE_*` code.
        case other(UInt64)
    }

    public struct Enumerator: Sendable, Equatable {
        public var name: String
        public var value: Int64

        public init(name: String, value: Int64) {
            self.name = name
            self.value = value
        }
    }

    /// A member of a structure or union (`DW_TAG_member`).
    public struct Member: Sendable, Equatable {
        /// The member's name; nil for an anonymous structure or union member (C11), whose own
        /// members are reached as if they were the enclosing type's.
        public var name: String?
        public var type: SourceType
        /// Byte offset from the start of the enclosing structure (0 in a union). For a bit
        /// field, the offset of the first byte holding any of its bits.
        public var offset: Int
        /// For a bit field: its place, in bits from the start of the enclosing structure, and
        /// its width in bits. Nil for ordinary members.
        public var bits: (offset: Int, size: Int)? {
            get { bitSize.map { (bitOffset ?? offset * 8, $0) } }
            set {
                bitOffset = newValue?.offset
                bitSize = newValue?.size
            }
        }
        private var bitOffset: Int?
        private var bitSize: Int?

        public init(name: String?, type: SourceType, offset: Int, bits: (offset: Int, size: Int)? = nil) {
            self.name = name
            self.type = type
            self.offset = offset
            self.bits = bits
        }
    }

    public init(name: String, byteSize: Int?, kind: Kind, dieOffset: Int? = nil) {
        self.name = name
        self.byteSize = byteSize
        self.kind = kind
        self.dieOffset = dieOffset
    }

    public static func == (a: SourceType, b: SourceType) -> Bool {
        a.name == b.name && a.byteSize == b.byteSize && a.kind == b.kind
    }

    public var description: String { name }

    /// Whether it is a structure or union.
    public var isAggregate: Bool {
        switch kind {
        case .structure, .union: return true
        default: return false
        }
    }

    /// What a pointer or reference type points to; nil for other kinds and for `void *`.
    public var pointee: SourceType? {
        if case .pointer(let p) = kind { return p }
        return nil
    }
}
