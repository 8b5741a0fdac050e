//! The Avro object container framing of ZTF alert files: the header every file shares.

/// An Avro container header: magic, metadata map (codec, schema), sync marker. Written here
/// rather than by apache-avro's `Writer`, whose metadata order varies from run to run.
pub fn header(schema_json: &str, marker: &[u8; 16]) -> Vec<u8> {
    let mut out = b"Obj\x01".to_vec();
    put_long(&mut out, 2);
    for (key, value) in [
        ("avro.codec", "null".as_bytes()),
        ("avro.schema", schema_json.as_bytes()),
    ] {
        put_long(&mut out, key.len() as i64);
        out.extend_from_slice(key.as_bytes());
        put_long(&mut out, value.len() as i64);
        out.extend_from_slice(value);
    }
    put_long(&mut out, 0);
    out.extend_from_slice(marker);
    out
}

/// Avro's zig-zag variable-length long.
pub fn put_long(out: &mut Vec<u8>, v: i64) {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    while z >= 0x80 {
        out.push((z as u8 & 0x7f) | 0x80);
        z >>= 7;
    }
    out.push(z as u8);
}
