// Demangling by simple rules: Rust legacy and v0 paths, plain C++ names; nil when not understood.

import XCTest

@testable import WeftSource

final class DemanglerTests: XCTestCase {
    func testRustLegacy() {
        XCTAssertEqual(Demangler.demangle("_ZN4core3fmt5write17h0123456789abcdefE"), "core::fmt::write")
        XCTAssertEqual(
            Demangler.demangle("_ZN3std2rt10lang_start28_$u7b$$u7b$closure$u7d$$u7d$17h0123456789abcdefE"),
            "std::rt::lang_start::{{closure}}")
        XCTAssertEqual(
            Demangler.demangle("_ZN44_$LT$$RF$T$u20$as$u20$core..fmt..Display$GT$3fmt17h0123456789abcdefE"),
            "<&T as core::fmt::Display>::fmt")
        XCTAssertEqual(Demangler.demangle("__ZN5racer6worker17hfedcba9876543210E"), "racer::worker", "macOS extra underscore")
    }

    func testRustV0() {
        XCTAssertEqual(Demangler.demangle("_RNvCs1234_7mycrate3foo"), "mycrate::foo")
        XCTAssertEqual(Demangler.demangle("_RNvNtCs1234_7mycrate3bar3baz"), "mycrate::bar::baz")
        XCTAssertEqual(Demangler.demangle("_RNCNvCs1234_7mycrate4main0"), "mycrate::main::{closure#0}")
        XCTAssertEqual(Demangler.demangle("_RNvCsa_5hello4main"), "hello::main")
        XCTAssertNil(Demangler.demangle("_RNvMs_Cs1234_7mycrateNtB4_3Foo3new"), "impl paths are not decoded")
    }

    func testItanium() {
        XCTAssertEqual(Demangler.demangle("_Z3fooi"), "foo(int)")
        XCTAssertEqual(Demangler.demangle("_Z4mainv"), "main()")
        XCTAssertEqual(Demangler.demangle("_ZN3foo3barEv"), "foo::bar()")
        XCTAssertEqual(Demangler.demangle("_ZN3foo3BarC2Ev"), "foo::Bar::Bar()")
        XCTAssertEqual(Demangler.demangle("_ZN3foo3BarD1Ev"), "foo::Bar::~Bar()")
        XCTAssertEqual(Demangler.demangle("_ZNK3foo3Bar3getEv"), "foo::Bar::get() const")
        XCTAssertEqual(Demangler.demangle("_Z4copyPcPKc"), "copy(char*, char const*)")
        XCTAssertEqual(Demangler.demangle("_ZN3foo3barERKNS_3BazE"), "foo::bar(foo::Baz const&)")
        XCTAssertEqual(Demangler.demangle("_ZSt4swapRiS_"), "std::swap(int&, int&)")
        XCTAssertEqual(Demangler.demangle("_Z6workerPvS_"), "worker(void*, void*)")
        XCTAssertEqual(Demangler.demangle("_ZN12_GLOBAL__N_16helperEv"), "(anonymous namespace)::helper()")
        XCTAssertNil(Demangler.demangle("_Z5applyPFviEi"), "function types are left alone")
        XCTAssertNil(Demangler.demangle("_Z3maxIiET_S0_S0_"), "templates are left alone")
    }

    func testNotMangled() {
        for name in ["main", "worker", "_start", "_Z", "_ZN", "_ZN3fooE9", "_R", "_Zx", "_ZN99fooE", "func[3]"] {
            XCTAssertNil(Demangler.demangle(name), name)
        }
    }
}
