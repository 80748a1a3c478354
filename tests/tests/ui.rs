//! trybuild UI tests: every compile-time error message of `migrations!()`,
//! with checked-in `.stderr` snapshots (regenerate with `TRYBUILD=overwrite`).

#[test]
fn ui() {
    // trybuild compiles each case in a generated crate under target/; the
    // override makes `migrations!("ui/fixtures/...")` resolve against this crate.
    std::env::set_var("MIGRATE_MANIFEST_DIR", env!("CARGO_MANIFEST_DIR"));
    // `cargo test` passes this crate's OUT_DIR (it has a build script) to the
    // test process; the generated UI crates have none.
    std::env::remove_var("OUT_DIR");
    // trybuild colours its report whenever TERM allows, also into a file or a
    // CI log; NO_COLOR (which its terminal library honours) keeps that readable.
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        std::env::set_var("NO_COLOR", "1");
    }
    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui/fail/*.rs");
    cases.pass("ui/pass/*.rs");
}
