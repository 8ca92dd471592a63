//! Kraken's published signing vectors, reproduced byte for byte, and the shared nonce.

use cst_kraken::sign::{Credentials, NonceSource, Secret, api_sign};
use serde_json::Value;
use std::collections::HashSet;
use std::sync::Arc;

fn vector(name: &str) -> Value {
    serde_json::from_str(&cst_testdata::read_text(&format!("kraken/api-examples/signing/{name}"))).expect("json")
}

fn field<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or_else(|| panic!("missing {key}"))
}

#[test]
fn reproduces_the_kraken_docs_addorder_signature() {
    let v = vector("spot_rest_api_sign_docs_example.json");
    let secret = Secret::from_base64(field(&v, "private_key")).expect("secret");
    let sign =
        api_sign(&secret, field(&v, "uri_path"), field(&v, "nonce"), field(&v, "encoded_payload")).expect("sign");
    assert_eq!(sign, field(&v, "expected_api_sign"));
}

#[test]
fn reproduces_the_kraken_sdk_golden_balance_signature() {
    let v = vector("spot_rest_api_sign_krakenfx_sdk_golden.json");
    let creds = Credentials::new("any-key", field(&v, "secret_base64")).expect("credentials");
    let sign = creds.sign(field(&v, "uri_path"), field(&v, "nonce"), field(&v, "post_data")).expect("sign");
    assert_eq!(sign, field(&v, "expected_api_sign"));
    let raw = Secret::from_bytes(vec![0x01; 32]);
    assert_eq!(api_sign(&raw, "/0/private/Balance", field(&v, "nonce"), field(&v, "post_data")).expect("sign"), sign);
}

#[test]
fn a_different_nonce_changes_the_signature() {
    let v = vector("spot_rest_api_sign_docs_example.json");
    let secret = Secret::from_base64(field(&v, "private_key")).expect("secret");
    let other = api_sign(&secret, field(&v, "uri_path"), "1616492376595", field(&v, "encoded_payload")).expect("sign");
    assert_ne!(other, field(&v, "expected_api_sign"));
}

#[test]
fn nonce_is_strictly_increasing_across_concurrent_callers_of_one_key() {
    let threads: Vec<_> = (0..8)
        .map(|_| {
            std::thread::spawn(|| {
                let source: Arc<NonceSource> = NonceSource::for_key("concurrency-test-key");
                (0..5_000).map(|_| source.next()).collect::<Vec<u64>>()
            })
        })
        .collect();
    let mut all = HashSet::new();
    for t in threads {
        let seen = t.join().expect("thread");
        assert!(seen.windows(2).all(|w| w[0] < w[1]), "a caller saw a non-increasing nonce");
        for n in seen {
            assert!(all.insert(n), "nonce {n} handed out twice");
        }
    }
    assert_eq!(all.len(), 40_000);
}
