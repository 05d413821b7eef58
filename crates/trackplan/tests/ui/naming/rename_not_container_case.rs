#[derive(trackplan::Properties)]
#[properties(case = "camelCase")]
struct Video {
    session_id: String,
    #[property(rename = "video_player")]
    player: String,
}

fn main() {}
