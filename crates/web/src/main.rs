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
    /// Render every post's body and every comment again (after an update of the Markdown renderer).
    Rerender,
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

fn main() -> ExitCode {
    let cli = Cli::parse();
    let figment = gazette_web::figment();
    let result = runtime(&figment).and_then(|(runtime, force_end)| {
        let result = runtime.block_on(run(cli, figment));
        if force_end {
            runtime.shutdown_timeout(std::time::Duration::from_millis(500));
        }
        result
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gazette: {e}");
            ExitCode::FAILURE
        }
    }
}

/// The async runtime, sized from Gazette's settings (`workers`, `max_blocking`, and whether
/// shutdown ends leftover tasks). `#[rocket::main]` would read these only from a `Rocket.toml`
/// in the working folder, not from `config/Rocket.toml` where the server's settings live.
fn runtime(figment: &rocket::figment::Figment) -> Result<(rocket::tokio::runtime::Runtime, bool), String> {
    let config = rocket::Config::try_from(figment).map_err(|e| format!("settings: {e}"))?;
    let runtime = rocket::tokio::runtime::Builder::new_multi_thread()
        .thread_name("rocket-worker-thread")
        .worker_threads(config.workers)
        .max_blocking_threads(config.max_blocking)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    Ok((runtime, config.shutdown.force))
}

async fn run(cli: Cli, figment: rocket::figment::Figment) -> Result<(), String> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => gazette_web::build(figment).launch().await.map(|_| ()).map_err(|e| e.to_string()),
        Command::Migrate => migrate(&figment).await.map(|_| println!("database is up to date")),
        Command::Admin { action } => admin(&figment, action).await,
        Command::Rerender => {
            let app = migrate(&figment).await?;
            let started = std::time::Instant::now();
            let done = app::maintenance::rerender(&app, false).await.map_err(|e| e.to_string())?;
            let comments = app::maintenance::render_comments(&app, false).await.map_err(|e| e.to_string())?;
            println!("rendered {done} posts and {comments} comments in {:.1?}", started.elapsed());
            Ok(())
        }
        Command::Seed { users, posts } => seed(&figment, users, posts).await,
    }
}

fn settings(figment: &rocket::figment::Figment) -> Result<AppConfig, String> {
    figment.extract().map_err(|e| format!("settings: {e}"))
}

/// The application without its background work, for the commands that are not `serve`: opening
/// it migrates the database.
async fn migrate(figment: &rocket::figment::Figment) -> Result<app::App, String> {
    let config = settings(figment)?;
    let template_dir =
        figment.extract_inner::<std::path::PathBuf>("template_dir").unwrap_or_else(|_| "templates".into());
    // No token is signed here: the secret only has to be some secret.
    let secret = format!("{:x}", rand::random::<u128>());
    app::App::open(config.app_settings(&template_dir), &secret).await.map_err(|e| e.to_string())
}

async fn seed(figment: &rocket::figment::Figment, users: u64, posts: u64) -> Result<(), String> {
    let app = migrate(figment).await?;
    let started = std::time::Instant::now();
    app::seed::run(&app, users, posts).await?;
    println!(
        "added {users} users (password \"{}\") and {posts} posts in {:.1?}",
        app::seed::DEMO_PASSWORD,
        started.elapsed()
    );
    Ok(())
}

async fn admin(figment: &rocket::figment::Figment, action: AdminAction) -> Result<(), String> {
    let app = migrate(figment).await?;
    let (username, grant) = match action {
        AdminAction::Grant { username } => (username, true),
        AdminAction::Revoke { username } => (username, false),
    };
    let account = match app::accounts::set_moderator(&app, &username, grant).await {
        Ok(account) => account,
        Err(app::AppError::NotFound(_)) => return Err(format!("no user named {username:?}")),
        Err(e) => return Err(e.to_string()),
    };
    println!("{} {} a moderator", account.username, if grant { "is now" } else { "is no longer" });
    Ok(())
}
