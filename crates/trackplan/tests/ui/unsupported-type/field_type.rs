struct Money {
    cents: u64,
}

#[derive(trackplan::Event)]
struct OrderCompleted {
    total: Money,
    refunds: Vec<Money>,
}

fn main() {}
