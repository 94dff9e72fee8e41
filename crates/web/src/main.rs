//! The `gazette` binary: serves the blog, migrates its database, or fills it with demo data.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use gazette_web::AppConfig;

#[derive(Parser)]
#[command(name = "gazette", version, about = "Gazette, a self-hosted blog server")]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the blog (the default).
    Serve,
    /// Apply pending database migrations and exit.
    Migrate,
    /// Fill the database with demo users and posts.
    Seed {
        /// Users to add.
        #[arg(long, default_value_t = 10)]
        users: u64,
        /// Posts to add, shared among all users.
        #[arg(long, default_value_t = 100)]
        posts: u64,
    },
}

#[rocket::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let figment = gazette_web::figment();
    let result = match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => gazette_web::build(figment).launch().await.map(|_| ()).map_err(|e| e.to_string()),
        Command::Migrate => match settings(&figment) {
            Ok(config) => migrate(&config).await.map(|_| println!("database is up to date")),
            Err(e) => Err(e),
        },
        Command::Seed { users, posts } => match settings(&figment) {
            Ok(config) => seed::run(&config, users, posts).await,
            Err(e) => Err(e),
        },
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gazette: {e}");
            ExitCode::FAILURE
        }
    }
}

fn settings(figment: &rocket::figment::Figment) -> Result<AppConfig, String> {
    figment.extract().map_err(|e| format!("settings: {e}"))
}

async fn migrate(config: &AppConfig) -> Result<persistence::DatabaseConnection, String> {
    let db = persistence::connect(&config.database_url).await.map_err(|e| format!("database: {e}"))?;
    persistence::migrate(&db).await.map_err(|e| format!("migrations: {e}"))?;
    Ok(db)
}

mod seed {
    use chrono::{Duration, Utc};
    use domain::{Content, Email, Password, PasswordHasher, Title, Username};
    use persistence::posts::NewPost;
    use persistence::users::NewUser;

    use super::{AppConfig, migrate};

    /// Rows per INSERT statement.
    const BATCH: usize = 500;
    /// Every demo account's password.
    const DEMO_PASSWORD: &str = "gazette-demo";

    pub async fn run(config: &AppConfig, users: u64, posts: u64) -> Result<(), String> {
        let db = migrate(config).await?;
        let started = std::time::Instant::now();
        let first = persistence::users::count_all(&db).await.map_err(|e| e.to_string())? + 1;
        // One hash serves every demo account: hashing thousands would take minutes at cost 12.
        let hasher = PasswordHasher::new(config.bcrypt_cost).map_err(|e| e.to_string())?;
        let password = Password::parse(DEMO_PASSWORD).map_err(|e| e.to_string())?;
        let hash = rocket::tokio::task::spawn_blocking(move || hasher.hash(&password))
            .await
            .map_err(|e| e.to_string())?
            .map_err(|e| e.to_string())?;
        let now = Utc::now();
        let mut batch = Vec::with_capacity(BATCH);
        for n in first..first + users {
            batch.push(NewUser {
                username: Username::parse(&format!("demo{n}")).map_err(|e| e.to_string())?,
                email: Email::parse(&format!("demo{n}@example.com")).map_err(|e| e.to_string())?,
                password_hash: hash.clone(),
                first_name: Some("Demo".into()),
                last_name: Some(format!("User {n}")),
            });
            if batch.len() == BATCH {
                persistence::users::insert_many(&db, std::mem::take(&mut batch), now)
                    .await
                    .map_err(|e| e.to_string())?;
            }
        }
        persistence::users::insert_many(&db, batch, now).await.map_err(|e| e.to_string())?;

        let authors = persistence::users::list_ids(&db).await.map_err(|e| e.to_string())?;
        if authors.is_empty() && posts > 0 {
            return Err("no users to write the posts: add some with --users".into());
        }
        let mut batch = Vec::with_capacity(BATCH);
        for k in 0..posts {
            let author = authors[(k as usize) % authors.len()];
            let title = Title::parse(&format!("Demo post {}", k + 1)).map_err(|e| e.to_string())?;
            let content = Content::parse(LOREM).map_err(|e| e.to_string())?;
            // Spread over the past, newest last, one minute apart.
            let at = now - Duration::minutes((posts - k) as i64);
            batch.push((NewPost { user_id: author, title, content }, at));
            if batch.len() == BATCH {
                persistence::posts::insert_many(&db, std::mem::take(&mut batch)).await.map_err(|e| e.to_string())?;
            }
        }
        persistence::posts::insert_many(&db, batch).await.map_err(|e| e.to_string())?;
        println!("added {users} users (password \"{DEMO_PASSWORD}\") and {posts} posts in {:.1?}", started.elapsed());
        Ok(())
    }

    const LOREM: &str = "Lorem ipsum dolor sit amet, consectetur adipiscing elit. Sed do eiusmod tempor \
incididunt ut labore et dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco \
laboris nisi ut aliquip ex ea commodo consequat.\n\nDuis aute irure dolor in reprehenderit in voluptate velit \
esse cillum dolore eu fugiat nulla pariatur.";
}
