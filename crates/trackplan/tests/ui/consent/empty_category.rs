// An empty consent category would never be granted: refused on the literal.
#[derive(trackplan::Event)]
#[event(consent = "")]
struct AdClicked {
    ad_id: String,
}

fn main() {}
