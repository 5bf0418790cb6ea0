import WeftInterpreter

/// Interned call stacks and access locations, so shadow memory can name the code behind each
/// access with one 32-bit id.
///
/// A *stack node* is a frame in a trie of call stacks: its function, the call instruction in the
/// parent frame that entered it, and the parent node. A *location* is a stack node plus the
/// accessing instruction (an opaque code address, 0 when unknown) and, for bytes written by a
/// WASI call, the call's name. Id 0 means "unknown" in both tables.
final class SiteTable {
    struct NodeKey: Hashable {
        var parent: UInt32
        var callSite: UInt
        var function: UInt64
    }

    struct LocationKey: Hashable {
        var node: UInt32
        var code: UInt
        var label: String?
    }

    private(set) var nodeParent: [UInt32] = [0]
    private(set) var nodeCallSite: [UInt] = [0]
    private(set) var nodeFunction: [FunctionRef?] = [nil]
    private var nodeIndex: [NodeKey: UInt32] = [:]

    private(set) var locationNode: [UInt32] = [0]
    private(set) var locationCode: [UInt] = [0]
    private(set) var locationLabel: [String?] = [nil]
    private var locationIndex: [LocationKey: UInt32] = [:]

    /// The node for `function` entered from `callSite` in `parent`'s frame.
    func node(parent: UInt32, callSite: UInt, function: FunctionRef) -> UInt32 {
        let key = NodeKey(parent: parent, callSite: callSite, function: function.bits)
        if let n = nodeIndex[key] { return n }
        let n = UInt32(nodeParent.count)
        nodeParent.append(parent)
        nodeCallSite.append(callSite)
        nodeFunction.append(function)
        nodeIndex[key] = n
        return n
    }

    func location(node: UInt32, code: UInt, label: String? = nil) -> UInt32 {
        let key = LocationKey(node: node, code: code, label: label)
        if let l = locationIndex[key] { return l }
        let l = UInt32(locationNode.count)
        locationNode.append(node)
        locationCode.append(code)
        locationLabel.append(label)
        locationIndex[key] = l
        return l
    }

    /// The stack of `location`, innermost first, as (function, code address) pairs.
    func frames(of location: UInt32) -> [(function: FunctionRef?, code: UInt)] {
        guard location != 0, Int(location) < locationNode.count else { return [] }
        var result: [(FunctionRef?, UInt)] = []
        var node = locationNode[Int(location)]
        var code = locationCode[Int(location)]
        while node != 0 {
            result.append((nodeFunction[Int(node)], code))
            code = nodeCallSite[Int(node)]
            node = nodeParent[Int(node)]
        }
        return result
    }

    func label(of location: UInt32) -> String? {
        Int(location) < locationLabel.count ? locationLabel[Int(location)] : nil
    }
}
