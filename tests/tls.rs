//! TLS against the test servers, which scripts/with-servers.sh starts with a
//! certificate for 127.0.0.1 signed by a throwaway authority
//! (ATHANOR_TLS_CA); ATHANOR_TLS_OTHER_CA signed nothing here. Both servers
//! accept TLS and plain connections, so each mode's effect is read back
//! from the server itself (is this session encrypted?).

use athanor::prelude::*;
use athanor::raw::Raw;
use athanor::Error;

fn env(var: &str) -> String {
    std::env::var(var).unwrap_or_else(|_| {
        panic!("{var} is not set: run this test with `scripts/with-servers.sh cargo test --all-features --test tls`")
    })
}

/// `url` with `params` appended to its query string.
fn with_params(url: &str, params: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{params}")
}

/// The server's answer to "is this connection encrypted?".
#[derive(Clone, Copy)]
enum Server {
    Postgres,
    Mariadb,
}

impl Server {
    fn url(self) -> String {
        env(match self {
            Server::Postgres => "ATHANOR_POSTGRES_URL",
            Server::Mariadb => "ATHANOR_MYSQL_URL",
        })
    }

    fn encrypted(self, db: &Database) -> bool {
        let mut conn = db.connect().unwrap();
        match self {
            Server::Postgres => {
                let rows: Vec<(bool,)> =
                    Raw::new("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
                        .fetch_all(&mut conn)
                        .unwrap();
                rows[0].0
            }
            Server::Mariadb => {
                let rows: Vec<(String, String)> = Raw::new("SHOW SESSION STATUS LIKE 'Ssl_cipher'")
                    .fetch_all(&mut conn)
                    .unwrap();
                !rows[0].1.is_empty()
            }
        }
    }

    /// Opens with `params` and says whether the session is encrypted.
    fn open(self, params: &str) -> Result<bool, Error> {
        let db = Database::open(&with_params(&self.url(), params))?;
        Ok(self.encrypted(&db))
    }

    /// `url` with the host written as `localhost` instead of `127.0.0.1`.
    fn localhost_url(self) -> String {
        let url = self.url();
        assert!(url.contains("@127.0.0.1:"), "{url}");
        url.replace("@127.0.0.1:", "@localhost:")
    }
}

fn assert_refused(r: Result<bool, Error>, what: &str, expect: &str) {
    match r {
        Err(Error::Connection { message }) => {
            assert!(
                message.to_lowercase().contains(expect),
                "{what}: `{message}` does not mention `{expect}`"
            );
            eprintln!("{what}: refused: {message}");
        }
        other => panic!("{what}: expected a connection error, got {other:?}"),
    }
}

fn modes(server: Server) {
    let ca = env("ATHANOR_TLS_CA");
    let other = env("ATHANOR_TLS_OTHER_CA");

    // Plain when asked; TLS by default (prefer) and when required.
    assert!(!server.open("sslmode=disable").unwrap(), "disable");
    assert!(server.open("").unwrap(), "the default (prefer)");
    assert!(server.open("sslmode=require").unwrap(), "require");
    assert!(server.open("ssl-mode=REQUIRED").unwrap(), "MySQL spelling");

    // Checked certificates: the right authority passes, another is refused.
    assert!(server
        .open(&format!("sslmode=verify-full&sslrootcert={ca}"))
        .unwrap());
    assert_refused(
        server.open(&format!("sslmode=verify-full&sslrootcert={other}")),
        "verify-full, another authority",
        "certificate",
    );
    // The bundled public roots do not trust a throwaway authority.
    assert_refused(
        server.open("sslmode=verify-full"),
        "verify-full, public roots",
        "certificate",
    );
    // The certificate names 127.0.0.1 only: verify-full refuses localhost.
    let localhost = server.localhost_url();
    let r = Database::open(&with_params(
        &localhost,
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    ))
    .map(|_| true);
    assert_refused(r, "verify-full through localhost", "certificate");

    // verify-ca checks the chain, not the name; it needs sslrootcert (with
    // the public roots any certificate for any name would pass).
    match server.open("sslmode=verify-ca") {
        Err(Error::Url(m)) => assert!(m.contains("sslrootcert"), "{m}"),
        other => panic!("expected a URL error, got {other:?}"),
    }
    let verify_ca = |url: &str, root: &str| {
        Database::open(&with_params(
            url,
            &format!("sslmode=verify-ca&sslrootcert={root}"),
        ))
        .map(|db| server.encrypted(&db))
    };
    match server {
        Server::Postgres => {
            assert!(verify_ca(&server.url(), &ca).unwrap());
            assert!(
                verify_ca(&localhost, &ca).unwrap(),
                "verify-ca through localhost"
            );
            assert_refused(
                verify_ca(&server.url(), &other),
                "verify-ca, another authority",
                "certificate",
            );
        }
        // The mysql driver adds the public roots to sslrootcert: refused.
        Server::Mariadb => match verify_ca(&server.url(), &ca) {
            Err(Error::Unsupported { capability, .. }) => {
                assert!(capability.contains("verify-ca"), "{capability}")
            }
            other => panic!("expected Unsupported, got {other:?}"),
        },
    }

    // Bad settings: a clear error, never a silent plain connection.
    assert_refused(
        server.open("sslmode=verify-full&sslrootcert=/nonexistent/ca.pem"),
        "missing sslrootcert",
        "/nonexistent/ca.pem",
    );
    match server.open("sslmode=sometimes") {
        Err(Error::Url(m)) => assert!(m.contains("sslmode=sometimes"), "{m}"),
        other => panic!("expected a URL error, got {other:?}"),
    }
    match server.open(&format!("sslmode=require&sslrootcert={ca}")) {
        Err(Error::Url(m)) => assert!(m.contains("verify-ca"), "{m}"),
        other => panic!("expected a URL error, got {other:?}"),
    }
}

/// A row for the round trip over TLS.
#[derive(Model, Debug, Clone, PartialEq)]
#[orm(table = "tls_notes")]
struct Note {
    #[orm(primary_key)]
    id: i64,
    body: String,
}

/// Rows written and read back over a verified TLS connection, values bound
/// as parameters (a long value spans many TLS records).
fn round_trip(server: Server) {
    let ca = env("ATHANOR_TLS_CA");
    let db = Database::open(&with_params(
        &server.url(),
        &format!("sslmode=verify-full&sslrootcert={ca}"),
    ))
    .unwrap();
    assert!(server.encrypted(&db));
    let mut conn = db.connect().unwrap();
    let schema = Schema::new().register::<Note>();
    schema.drop_all(&mut conn).unwrap();
    schema.create_all(&mut conn).unwrap();
    let long = "é𝄞x".repeat(40_000);
    for body in ["short", long.as_str()] {
        Note {
            id: 0,
            body: body.into(),
        }
        .insert(&mut conn)
        .unwrap();
    }
    let rows = Note::query()
        .order_by(Note::ID.asc())
        .all(&mut conn)
        .unwrap();
    let bodies: Vec<&str> = rows.iter().map(|n| n.body.as_str()).collect();
    assert_eq!(bodies, ["short", long.as_str()]);
    schema.drop_all(&mut conn).unwrap();
}

#[test]
fn postgres_tls_modes() {
    modes(Server::Postgres);
}

#[test]
fn mariadb_tls_modes() {
    modes(Server::Mariadb);
}

#[test]
fn postgres_rows_over_verified_tls() {
    round_trip(Server::Postgres);
}

#[test]
fn mariadb_rows_over_verified_tls() {
    round_trip(Server::Mariadb);
}
