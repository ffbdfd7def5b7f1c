//! The public pages: the live board (`/`), one unit (`/units/{code}`) and
//! the static assets they load. Pages are server-rendered and complete
//! without JavaScript; `board.js` then keeps the board current from
//! `/events` and the leaderboard API.

pub mod board;
pub mod reach;
pub mod unit;

use axum::Router;
use axum::routing::get;

use super::page::assets;
use crate::state::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(board::board_page))
        .route("/units/{code}", get(unit::unit_page))
        .route("/static/{file}", get(assets::static_asset))
}
