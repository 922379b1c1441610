//! Coinbase's parsers on arbitrary input.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    pricewire_fuzz::every_parser(pricewire_core::model::ExchangeId::Coinbase, data);
});
