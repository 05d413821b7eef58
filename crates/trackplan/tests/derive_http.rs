//! A derived event over real HTTP: the batch body that reaches a server on 127.0.0.1 holds the
//! derived properties byte for byte (the typed path is not re-serialised on the way).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::mpsc;
use std::time::Duration;

use trackplan::{Client, Properties as _, User};

#[derive(trackplan::Event)]
#[event(name = "Order Completed")]
struct OrderCompleted {
    order_id: String,
    total: f64,
    coupon: Option<String>,
    tier: Tier,
    products: Vec<Product>,
}

#[derive(trackplan::Properties)]
struct Product {
    product_id: String,
    price: f64,
    quantity: u32,
}

#[derive(trackplan::Enum)]
enum Tier {
    Pro,
}

/// A minimal HTTP/1.1 server: answers every request 200 and hands its body over.
fn serve(listener: TcpListener, bodies: mpsc::Sender<Vec<u8>>) {
    for stream in listener.incoming().flatten() {
        let bodies = bodies.clone();
        std::thread::spawn(move || {
            let _ = answer(stream, &bodies);
        });
    }
}

fn answer(stream: TcpStream, bodies: &mpsc::Sender<Vec<u8>>) -> std::io::Result<()> {
    let mut writer = stream.try_clone()?;
    let mut reader = BufReader::new(stream);
    loop {
        let mut content_length = 0;
        let mut line = String::new();
        loop {
            line.clear();
            if reader.read_line(&mut line)? == 0 {
                return Ok(());
            }
            if line == "\r\n" {
                break;
            }
            if let Some(value) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                content_length = value.trim().parse().unwrap_or(0);
            }
        }
        let mut body = vec![0; content_length];
        reader.read_exact(&mut body)?;
        let _ = bodies.send(body);
        writer.write_all(
            b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 16\r\n\r\n{\"success\":true}",
        )?;
    }
}

#[test]
fn the_batch_body_carries_the_derived_bytes() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind loopback");
    let addr = listener.local_addr().expect("local address");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || serve(listener, tx));

    let client = Client::builder("write-key")
        .endpoint(format!("http://{addr}"))
        .gzip(false)
        .flush_interval(Duration::from_millis(10))
        .build()
        .expect("client");
    let order = OrderCompleted {
        order_id: "o-1".into(),
        total: 27.5,
        coupon: None,
        tier: Tier::Pro,
        products: vec![Product {
            product_id: "p-1".into(),
            price: 27.5,
            quantity: 1,
        }],
    };
    client.track(&User::id("u1"), &order).expect("enqueued");
    client.flush_blocking();

    let body = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("a batch request");
    let body = String::from_utf8(body).expect("UTF-8 body");
    let mut derived = Vec::new();
    order.write_properties(&mut derived).expect("encodes");
    let derived = String::from_utf8(derived).expect("UTF-8");
    assert_eq!(
        derived,
        r#"{"order_id":"o-1","total":27.5,"tier":"pro","products":[{"product_id":"p-1","price":27.5,"quantity":1}]}"#
    );
    assert!(
        body.contains(&format!(r#""properties":{derived}"#)),
        "{body}"
    );

    let batch: serde_json::Value = serde_json::from_str(&body).expect("JSON body");
    let message = &batch["batch"][0];
    assert_eq!(message["type"], "track");
    assert_eq!(message["event"], "Order Completed");
    assert_eq!(message["userId"], "u1");
}
