import WeftTrace

enum FuzzReplay {
    /// A module with a shared memory, a spawn import, atomics, a wait and WASI output, so that
    /// mutated events meet every kind of runner state.
    static let moduleText = """
        (module
          (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
          (import "wasi" "thread-spawn" (func $spawn (param i32) (result i32)))
          (import "env" "memory" (memory 1 1 shared))
          (func (export "wasi_thread_start") (param i32 i32)
            (drop (i32.atomic.rmw.add (i32.const 64) (i32.const 1)))
            (drop (memory.atomic.notify (i32.const 64) (i32.const 1))))
          (func (export "_start")
            (drop (call $spawn (i32.const 7)))
            (drop (memory.atomic.wait32 (i32.const 64) (i32.const 0) (i64.const 1000000)))
            (i32.store (i32.const 0) (i32.const 16))
            (i32.store (i32.const 4) (i32.const 2))
            (i32.store16 (i32.const 16) (i32.const 0x0a41))
            (drop (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
        """

    static func replay(eventPayload: [UInt8]) {
        guard let trace = try? FuzzSupport.trace(moduleText: moduleText, eventPayload: eventPayload) else { return }
        _ = try? FuzzSupport.replay(trace)
    }
}
