//! The `gazette` binary: serves the blog, migrates its database, or fills it with demo data.

use std::process::ExitCode;

use clap::{Parser, Subcommand};
use gazette_web::AppConfig;

// Page views allocate many small, short-lived strings; mimalloc serves them with far less
// contention between threads than the system allocator (measured in BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

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
    /// Grant or revoke moderator rights.
    Admin {
        #[command(subcommand)]
        action: AdminAction,
    },
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

#[derive(Subcommand)]
enum AdminAction {
    /// Make a user a moderator: they may update and delete any post and delete any user.
    Grant { username: String },
    /// Take moderator rights away.
    Revoke { username: String },
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
        Command::Admin { action } => match settings(&figment) {
            Ok(config) => admin(&config, action).await,
            Err(e) => Err(e),
        },
        Command::Seed { users, posts } => match settings(&figment) {
            Ok(config) => seed(&config, users, posts).await,
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

async fn seed(config: &AppConfig, users: u64, posts: u64) -> Result<(), String> {
    let db = migrate(config).await?;
    let started = std::time::Instant::now();
    gazette_web::seed::run(&db, config.bcrypt_cost, users, posts).await?;
    println!(
        "added {users} users (password \"{}\") and {posts} posts in {:.1?}",
        gazette_web::seed::DEMO_PASSWORD,
        started.elapsed()
    );
    Ok(())
}

async fn admin(config: &AppConfig, action: AdminAction) -> Result<(), String> {
    let db = migrate(config).await?;
    let message = match action {
        AdminAction::Grant { username } => gazette_web::cli::set_moderator(&db, &username, true).await?,
        AdminAction::Revoke { username } => gazette_web::cli::set_moderator(&db, &username, false).await?,
    };
    println!("{message}");
    Ok(())
}
