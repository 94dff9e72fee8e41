//! Link settings for the `gazette` server binary.

fn main() {
    let os = std::env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    let env = std::env::var("CARGO_CFG_TARGET_ENV").unwrap_or_default();
    // The binary's addresses are fixed up when it starts (it is position-independent, for address
    // space randomisation): about 100,000 of them, listed in a 2.4 MiB table that the loader reads
    // and that then stays in the server's resident memory for its whole life. Packed (glibc 2.36
    // and binutils 2.38 read and write them), the same list takes a few KiB.
    if os == "linux" && env == "gnu" {
        println!("cargo:rustc-link-arg-bins=-Wl,-z,pack-relative-relocs");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
