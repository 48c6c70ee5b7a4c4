//! The study's aes function: it encrypts and decrypts a seeded random string
//! with AES-128 in CFB mode, repeatedly, and reports whether every round
//! trip gave the plaintext back. Byte for byte the answers of the Go version
//! (functions/go/aes).
//!
//! Query: length (bytes of plaintext, default 1000, in [1, 1,048,576]),
//! iterations (default 100, in [1, 100,000]), seed (default 42). From
//! SplitMix64 seeded with seed, in this order: the plaintext (each byte
//! `LETTERS[intn(62)]`), the 16-byte key, then per iteration a 16-byte IV
//! (each byte the low 8 bits of `next_u32`). The answer's digest is the
//! SHA-256 of the last ciphertext, in hex. CFB is what the study measured;
//! it is unauthenticated and not a recommendation.

use aes::cipher::generic_array::GenericArray;
use aes::{Aes128, BlockCipher, NewBlockCipher};
use common::{json_response, query_int, seed, Json, Rand};
use faas_wasm_fn::{Request, Response};

// The handler is also the reactor entry point when the library is built as
// one (builder shape "reactor", e.g. for warm mode).
faas_wasm_fn::reactor!(handle);
use sha2::{Digest, Sha256};

const LETTERS: &[u8] = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// The AES block size in bytes.
const BLOCK: usize = 16;

/// Answers `{"length", "iterations", "ok", "digest"}` for the query.
pub fn handle(req: &Request) -> Response {
    let length = match query_int(req, "length", 1000, 1, 1 << 20) {
        Ok(v) => v,
        Err(e) => return e.response(),
    };
    let iterations = match query_int(req, "iterations", 100, 1, 100_000) {
        Ok(v) => v,
        Err(e) => return e.response(),
    };
    let seed = match seed(req) {
        Ok(v) => v,
        Err(e) => return e.response(),
    };
    let (ok, digest) = run(seed, length as usize, iterations as usize);
    json_response(&Json::object(vec![
        ("length", length.into()),
        ("iterations", iterations.into()),
        ("ok", ok.into()),
        ("digest", digest.into()),
    ]))
}

/// Runs the benchmark: whether every round trip gave the plaintext back,
/// and the hex SHA-256 of the last ciphertext.
pub fn run(seed: u64, length: usize, iterations: usize) -> (bool, String) {
    let mut rng = Rand::new(seed);
    let plain: Vec<u8> = (0..length)
        .map(|_| LETTERS[rng.intn(LETTERS.len())])
        .collect();
    let mut key = [0u8; BLOCK];
    fill(&mut rng, &mut key);
    let cipher = Aes128::new(GenericArray::from_slice(&key));
    let mut ok = true;
    let mut iv = [0u8; BLOCK];
    let mut ct = vec![0u8; length];
    let mut pt = vec![0u8; length];
    for _ in 0..iterations {
        fill(&mut rng, &mut iv);
        cfb(&cipher, &iv, &plain, &mut ct, false);
        cfb(&cipher, &iv, &ct, &mut pt, true);
        if pt != plain {
            ok = false;
        }
    }
    (ok, hex::encode(Sha256::digest(&ct)))
}

fn fill(rng: &mut Rand, b: &mut [u8]) {
    for x in b.iter_mut() {
        *x = rng.next_u32() as u8;
    }
}

/// CFB-128 (NIST SP 800-38A §6.3) over the block cipher, as Go's
/// `cipher.NewCFBEncrypter/Decrypter(block, iv).XORKeyStream(dst, src)`:
/// the keystream block is E(register), the register starts as the IV and
/// then holds the previous ciphertext block; a final partial block uses the
/// keystream's first bytes. `dst` and `src` have the same length.
pub fn cfb(cipher: &Aes128, iv: &[u8; BLOCK], src: &[u8], dst: &mut [u8], decrypt: bool) {
    assert_eq!(src.len(), dst.len(), "cfb: src and dst lengths differ");
    let mut reg = GenericArray::clone_from_slice(iv);
    for (s, d) in src.chunks(BLOCK).zip(dst.chunks_mut(BLOCK)) {
        let mut ks = reg.clone();
        cipher.encrypt_block(&mut ks);
        for i in 0..s.len() {
            d[i] = s[i] ^ ks[i];
        }
        if s.len() == BLOCK {
            reg.copy_from_slice(if decrypt { s } else { d });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn golden_answers_of_the_go_version() {
        assert_eq!(
            common::golden::check(include_str!("../testdata/golden.txt"), handle),
            12
        );
    }

    /// NIST SP 800-38A F.3.13 (CFB128-AES128.Encrypt), and its decryption.
    #[test]
    fn nist_cfb128_vectors() {
        let h = |s: &str| hex::decode(s).unwrap();
        let key = h("2b7e151628aed2a6abf7158809cf4f3c");
        let mut iv = [0u8; BLOCK];
        iv.copy_from_slice(&h("000102030405060708090a0b0c0d0e0f"));
        let plain = h("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710");
        let want = h("3b3fd92eb72dad20333449f8e83cfb4ac8a64537a0b3a93fcde3cdad9f1ce58b26751f67a3cbb140b1808cf187a4f4dfc04b05357c5d1c0eeac4c66f9ff7f2e6");
        let cipher = Aes128::new(GenericArray::from_slice(&key));
        let mut ct = vec![0u8; plain.len()];
        cfb(&cipher, &iv, &plain, &mut ct, false);
        assert_eq!(ct, want);
        // A partial final block uses the keystream's first bytes.
        let mut short = vec![0u8; 37];
        cfb(&cipher, &iv, &plain[..37], &mut short, false);
        assert_eq!(short, want[..37]);
        let mut pt = vec![0u8; plain.len()];
        cfb(&cipher, &iv, &ct, &mut pt, true);
        assert_eq!(pt, plain);
    }
}
