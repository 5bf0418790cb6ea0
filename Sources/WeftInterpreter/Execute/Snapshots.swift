#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import WasmTypes

/// A thread's whole execution state — value stack, call frames, position, debugging counters —
/// and the mutable state of its instance (globals, tables, dropped segments). Restoring it puts
/// the thread back exactly where it was; a debugger goes back in time this way.
public struct ThreadSnapshot {
    var stack: [UInt64]
    var frames: [Frame]
    var pc: UnsafeMutablePointer<UInt32>?
    var fpOffset: Int
    var fn: UnsafeMutablePointer<FuncEntity>?
    var entryFunction: UnsafeMutablePointer<FuncEntity>?
    var depth: Int
    var yieldBudget: Int
    var pendingWaitResult: UInt32?
    var syncInstructionLength: Int
    var syncAddress: UInt64
    public internal(set) var instructionCount: UInt64
    var reentering: Bool
    var pauseReason: PauseReason?
    var instance: InstanceSnapshot?

    /// Bytes this snapshot holds (for a debugger's memory budget).
    public var byteCount: Int {
        stack.count * 8 + frames.count * MemoryLayout<Frame>.stride + (instance?.byteCount ?? 0)
    }
}

/// An instance's mutable state apart from memory.
struct InstanceSnapshot {
    var data: UnsafeMutablePointer<InstanceData>
    var globals: [UInt64]
    var tables: [[UInt64]]
    var dataCounts: [Int]
    var elemCounts: [Int]

    var byteCount: Int { globals.count * 8 + tables.reduce(0) { $0 + $1.count * 8 } }
}

extension ExecutionThread {
    /// Captures the thread's state (see ``ThreadSnapshot``). The thread must not be running.
    public func snapshot() -> ThreadSnapshot {
        var top = 0
        if let fn { top = fp - stackBase + Int(fn.pointee.frameSize) }
        if let e = entryFunction { top = max(top, Int(max(e.pointee.paramCount, e.pointee.resultCount))) }
        top = min(top, stackEnd - stackBase)
        return ThreadSnapshot(
            stack: Array(UnsafeBufferPointer(start: stackBase, count: top)),
            frames: Array(UnsafeBufferPointer(start: frames, count: depth)),
            pc: pc, fpOffset: fp - stackBase, fn: fn, entryFunction: entryFunction, depth: depth,
            yieldBudget: yieldBudget, pendingWaitResult: pendingWaitResult,
            syncInstructionLength: syncInstructionLength, syncAddress: syncAddress,
            instructionCount: debug.instructionCount, reentering: debug.reentering, pauseReason: debug.pauseReason,
            instance: (entryFunction?.pointee.instance).flatMap { store.instanceSnapshot($0) })
    }

    /// Puts the thread back into a state captured by ``snapshot()`` of this same thread.
    public func restore(_ s: ThreadSnapshot) {
        s.stack.withUnsafeBufferPointer { b in
            if let base = b.baseAddress { stackBase.update(from: base, count: b.count) }
        }
        s.frames.withUnsafeBufferPointer { b in
            if let base = b.baseAddress { frames.update(from: base, count: b.count) }
        }
        pc = s.pc
        fp = stackBase + s.fpOffset
        fn = s.fn
        entryFunction = s.entryFunction
        depth = s.depth
        yieldBudget = s.yieldBudget
        pendingWaitResult = s.pendingWaitResult
        syncInstructionLength = s.syncInstructionLength
        syncAddress = s.syncAddress
        debug.instructionCount = s.instructionCount
        debug.reentering = s.reentering
        debug.pauseReason = s.pauseReason
        debug.pauseRequested = false
        if let i = s.instance { store.restoreInstance(i) }
    }
}

extension Store {
    func instanceSnapshot(_ data: UnsafeMutablePointer<InstanceData>) -> InstanceSnapshot? {
        guard let module = modulesByInstance[data]?.module else { return nil }
        let globals = (0..<module.globalCount).map { data.pointee.globals[$0].pointee }
        let tables = (0..<module.tableCount).map { i -> [UInt64] in
            let t = data.pointee.tables[i].pointee
            return Array(UnsafeBufferPointer(start: t.elements, count: t.count))
        }
        return InstanceSnapshot(
            data: data, globals: globals, tables: tables,
            dataCounts: (0..<module.data.count).map { data.pointee.dataSegments[$0].count },
            elemCounts: (0..<module.elements.count).map { data.pointee.elemSegments[$0].count })
    }

    func restoreInstance(_ s: InstanceSnapshot) {
        let data = s.data
        for (i, v) in s.globals.enumerated() { data.pointee.globals[i].pointee = v }
        for (i, elements) in s.tables.enumerated() {
            let t = data.pointee.tables[i]
            // A table only grows; restoring an earlier state shrinks its count back.
            if elements.count <= t.pointee.capacity {
                elements.withUnsafeBufferPointer { b in
                    if let base = b.baseAddress { t.pointee.elements.update(from: base, count: b.count) }
                }
                t.pointee.count = elements.count
            }
        }
        for (i, n) in s.dataCounts.enumerated() { data.pointee.dataSegments[i].count = n }
        for (i, n) in s.elemCounts.enumerated() { data.pointee.elemSegments[i].count = n }
    }
}

/// A linear memory's contents and size at one moment, in pages. Pages equal to the previous
/// snapshot's share its storage, so a series of snapshots costs about what changed between them.
public struct MemorySnapshot {
    static let pageBytes = 16 * 1024
    var pages: [[UInt8]]
    var size: Int

    /// Bytes of page storage this snapshot does not share with `previous`.
    public func ownBytes(comparedTo previous: MemorySnapshot?) -> Int {
        var n = 0
        for (i, p) in pages.enumerated() {
            if let previous, i < previous.pages.count, previous.pages[i].withUnsafeBufferPointer({ a in
                p.withUnsafeBufferPointer { b in a.baseAddress == b.baseAddress }
            }) { continue }
            n += p.count
        }
        return n
    }
}

extension LinearMemory {
    /// The memory's contents now; `previous` (an earlier snapshot of this memory) lets unchanged
    /// pages be shared.
    public func snapshot(sharingWith previous: MemorySnapshot? = nil) -> MemorySnapshot {
        let size = byteCount
        let pageBytes = MemorySnapshot.pageBytes
        var pages: [[UInt8]] = []
        pages.reserveCapacity((size + pageBytes - 1) / pageBytes)
        var offset = 0
        while offset < size {
            let n = min(pageBytes, size - offset)
            let source = UnsafeRawBufferPointer(start: base + offset, count: n)
            let index = offset / pageBytes
            if let previous, index < previous.pages.count, previous.pages[index].count == n,
                previous.pages[index].withUnsafeBytes({ memcmp($0.baseAddress!, source.baseAddress!, n) == 0 })
            {
                pages.append(previous.pages[index])
            } else {
                pages.append(Array(source.bindMemory(to: UInt8.self)))
            }
            offset += n
        }
        return MemorySnapshot(pages: pages, size: size)
    }

    /// Puts back contents and size; pages beyond the snapshot's size become zero again (as
    /// `memory.grow` expects of fresh pages).
    public func restore(_ s: MemorySnapshot) {
        let current = byteCount
        var offset = 0
        for page in s.pages {
            let target = base + offset
            page.withUnsafeBytes { b in
                // Skip pages that already hold these bytes: restoring is mostly comparing.
                if memcmp(target, b.baseAddress!, b.count) != 0 { target.copyMemory(from: b.baseAddress!, byteCount: b.count) }
            }
            offset += page.count
        }
        if current > s.size {
            (base + s.size).initializeMemory(as: UInt8.self, repeating: 0, count: current - s.size)
        }
        data.pointee.byteCount = s.size
    }
}
