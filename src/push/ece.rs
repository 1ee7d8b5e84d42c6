//! RFC 8291 message encryption for Web Push ("aes128gcm" content coding, RFC 8188): one
//! record, a fresh ephemeral P-256 key and salt per message, so a push service relaying
//! the message never reads it. Pure functions apart from the random key and salt.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes128Gcm, Nonce};
use hkdf::Hkdf;
use p256::elliptic_curve::sec1::ToEncodedPoint;
use p256::{PublicKey, SecretKey};
use rand::RngCore;
use sha2::Sha256;

/// Record size announced in the header; one record carries the whole message, which the
/// 4 KiB limit push services accept keeps well under it.
const RECORD_SIZE: u32 = 4096;
/// Largest plaintext we send: 4096 minus the header (86), the tag (16) and the delimiter.
pub const MAX_PLAINTEXT: usize = 3993;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum EceError {
    #[error("the subscription's p256dh is not a P-256 public key")]
    BadPublicKey,
    #[error("the subscription's auth secret must be 16 bytes")]
    BadAuth,
    #[error("the message is too long for one push")]
    TooLong,
}

/// Checks a subscription's keys without encrypting anything (for the subscription API).
pub fn check_keys(p256dh: &[u8], auth: &[u8]) -> Result<(), EceError> {
    PublicKey::from_sec1_bytes(p256dh).map_err(|_| EceError::BadPublicKey)?;
    if auth.len() != 16 {
        return Err(EceError::BadAuth);
    }
    Ok(())
}

/// The body of a push request: salt, record size, the sender's public key, ciphertext.
pub fn encrypt(p256dh: &[u8], auth: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, EceError> {
    let mut salt = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut salt);
    // A key per message: nothing links two messages, and a stolen one opens no other.
    let secret = SecretKey::random(&mut rand::rngs::OsRng);
    encrypt_with(p256dh, auth, plaintext, &secret, salt)
}

fn encrypt_with(
    p256dh: &[u8],
    auth: &[u8],
    plaintext: &[u8],
    secret: &SecretKey,
    salt: [u8; 16],
) -> Result<Vec<u8>, EceError> {
    check_keys(p256dh, auth)?;
    if plaintext.len() > MAX_PLAINTEXT {
        return Err(EceError::TooLong);
    }
    let ua_public = PublicKey::from_sec1_bytes(p256dh).map_err(|_| EceError::BadPublicKey)?;
    let as_public = secret.public_key().to_encoded_point(false);
    let shared = p256::ecdh::diffie_hellman(secret.to_nonzero_scalar(), ua_public.as_affine());
    let (cek, nonce) = derive(
        shared.raw_secret_bytes(),
        auth,
        p256dh,
        as_public.as_bytes(),
        &salt,
    );
    let mut padded = Vec::with_capacity(plaintext.len() + 1);
    padded.extend_from_slice(plaintext);
    // 0x02: the last (and only) record.
    padded.push(2);
    let cipher = Aes128Gcm::new_from_slice(&cek).map_err(|_| EceError::BadAuth)?;
    let sealed = cipher
        .encrypt(&Nonce::from(nonce), padded.as_slice())
        .map_err(|_| EceError::TooLong)?;
    let mut body = Vec::with_capacity(86 + sealed.len());
    body.extend_from_slice(&salt);
    body.extend_from_slice(&RECORD_SIZE.to_be_bytes());
    body.push(65);
    body.extend_from_slice(as_public.as_bytes());
    body.extend_from_slice(&sealed);
    Ok(body)
}

/// RFC 8291 section 3.4: the content-encryption key and nonce from the ECDH secret, the
/// subscription's auth secret and both public keys.
pub fn derive(
    ecdh_secret: &[u8],
    auth: &[u8],
    ua_public: &[u8],
    as_public: &[u8],
    salt: &[u8],
) -> ([u8; 16], [u8; 12]) {
    let mut key_info = Vec::with_capacity(14 + 130);
    key_info.extend_from_slice(b"WebPush: info\0");
    key_info.extend_from_slice(ua_public);
    key_info.extend_from_slice(as_public);
    let mut ikm = [0u8; 32];
    // Output lengths are far below HKDF's limit, so expand cannot fail.
    Hkdf::<Sha256>::new(Some(auth), ecdh_secret)
        .expand(&key_info, &mut ikm)
        .unwrap_or_default();
    let prk = Hkdf::<Sha256>::new(Some(salt), &ikm);
    let mut cek = [0u8; 16];
    let mut nonce = [0u8; 12];
    prk.expand(b"Content-Encoding: aes128gcm\0", &mut cek)
        .unwrap_or_default();
    prk.expand(b"Content-Encoding: nonce\0", &mut nonce)
        .unwrap_or_default();
    (cek, nonce)
}

#[cfg(test)]
mod tests {
    use super::*;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;

    #[test]
    fn rfc8291_appendix_a_derivation() {
        // The example of RFC 8291, appendix A: the derived key and nonce must match.
        let d = |s: &str| B64.decode(s).expect("b64");
        let ua_public = d(
            "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4",
        );
        let as_private = d("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw");
        let auth = d("BTBZMqHH6r4Tts7J_aSIgg");
        let salt = d("DGv6ra1nlYgDCS1FRnbzlw");
        let secret = p256::SecretKey::from_slice(&as_private).expect("key");
        let ua = PublicKey::from_sec1_bytes(&ua_public).expect("ua");
        let shared = p256::ecdh::diffie_hellman(secret.to_nonzero_scalar(), ua.as_affine());
        let as_public = secret.public_key().to_encoded_point(false);
        let (cek, nonce) = derive(
            shared.raw_secret_bytes(),
            &auth,
            &ua_public,
            as_public.as_bytes(),
            &salt,
        );
        assert_eq!(B64.encode(cek), "oIhVW04MRdy2XN9CiKLxTg");
        assert_eq!(B64.encode(nonce), "4h_95klXJ5E_qnoN");
    }

    #[test]
    fn rfc8291_appendix_a_message() {
        let d = |s: &str| B64.decode(s).expect("b64");
        let secret =
            SecretKey::from_slice(&d("yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw")).expect("key");
        let salt: [u8; 16] = d("DGv6ra1nlYgDCS1FRnbzlw").try_into().expect("salt");
        let body = encrypt_with(
            &d("BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4"),
            &d("BTBZMqHH6r4Tts7J_aSIgg"),
            b"When I grow up, I want to be a watermelon",
            &secret,
            salt,
        )
        .expect("encrypt");
        assert_eq!(
            B64.encode(body),
            "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4a-fN"
        );
    }

    #[test]
    fn bad_keys_and_long_messages_are_refused() {
        assert_eq!(check_keys(&[4; 65], &[0; 16]), Err(EceError::BadPublicKey));
        let ua = p256::SecretKey::random(&mut rand::rngs::OsRng)
            .public_key()
            .to_encoded_point(false);
        assert_eq!(check_keys(ua.as_bytes(), &[0; 15]), Err(EceError::BadAuth));
        let long = vec![b'x'; MAX_PLAINTEXT + 1];
        assert_eq!(
            encrypt(ua.as_bytes(), &[0; 16], &long),
            Err(EceError::TooLong)
        );
        let body = encrypt(ua.as_bytes(), &[0; 16], b"hi").expect("encrypt");
        assert_eq!(body.len(), 86 + 3 + 16);
    }
}
