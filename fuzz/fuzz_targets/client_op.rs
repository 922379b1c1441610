//! The relay front door's parser of client messages (WebSocket ops) on arbitrary input:
//! it answers an op or an error, never panics.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = pricewire_relay::http::msg::parse_op(text);
    }
});
