fn main() {
    println!("pricewire");
}
