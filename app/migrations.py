"""Numbered, additive schema migrations; index i brings the schema to version i + 1."""

MIGRATIONS: tuple[str, ...] = (
    # 1: accounts, ingredients and recipes
    """
    CREATE TABLE users (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE COLLATE NOCASE,
        email TEXT NOT NULL UNIQUE COLLATE NOCASE,
        password_hash TEXT NOT NULL,
        created_at TEXT NOT NULL DEFAULT (datetime('now'))
    );
    CREATE TABLE ingredients (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        brand TEXT NOT NULL DEFAULT '',
        category TEXT NOT NULL DEFAULT '',
        package_quantity TEXT NOT NULL,
        package_unit TEXT NOT NULL,
        package_price_cents INTEGER NOT NULL
    );
    CREATE INDEX ix_ingredients_user_name ON ingredients(user_id, name);
    CREATE TABLE recipes (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        name TEXT NOT NULL,
        servings INTEGER NOT NULL,
        instructions TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX ix_recipes_user_name ON recipes(user_id, name);
    CREATE TABLE recipe_items (
        id INTEGER PRIMARY KEY,
        recipe_id INTEGER NOT NULL REFERENCES recipes(id) ON DELETE CASCADE,
        ingredient_id INTEGER NOT NULL REFERENCES ingredients(id) ON DELETE RESTRICT,
        position INTEGER NOT NULL,
        quantity TEXT NOT NULL,
        unit TEXT NOT NULL
    );
    CREATE INDEX ix_recipe_items_recipe ON recipe_items(recipe_id, position);
    CREATE INDEX ix_recipe_items_ingredient ON recipe_items(ingredient_id);
    """,
    # 2: monthly budgets and purchases
    """
    CREATE TABLE budgets (
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        month TEXT NOT NULL,
        amount_cents INTEGER NOT NULL,
        PRIMARY KEY (user_id, month)
    );
    CREATE TABLE purchases (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        date TEXT NOT NULL,
        amount_cents INTEGER NOT NULL,
        store TEXT NOT NULL DEFAULT '',
        category TEXT NOT NULL DEFAULT '',
        note TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX ix_purchases_user_date ON purchases(user_id, date, category, amount_cents);
    """,
    # 3: revocable API tokens, stored hashed
    """
    CREATE TABLE api_tokens (
        id INTEGER PRIMARY KEY,
        user_id INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
        token_hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL DEFAULT (datetime('now')),
        revoked_at TEXT
    );
    CREATE INDEX ix_api_tokens_user ON api_tokens(user_id);
    """,
    # 4: when each ingredient and purchase was recorded
    """
    ALTER TABLE ingredients ADD COLUMN created_at TEXT NOT NULL DEFAULT '';
    ALTER TABLE purchases ADD COLUMN created_at TEXT NOT NULL DEFAULT '';
    """,
    # 5: a revision token per user, changed by every write the dashboard shows
    """
    ALTER TABLE users ADD COLUMN data_revision TEXT NOT NULL DEFAULT '';
    """,
    # 6: failed logins, kept where every gunicorn worker counts them
    """
    CREATE TABLE login_failures (
        id INTEGER PRIMARY KEY,
        key TEXT NOT NULL,
        at REAL NOT NULL
    );
    CREATE INDEX ix_login_failures_key_at ON login_failures(key, at);
    CREATE INDEX ix_login_failures_at ON login_failures(at);
    """,
    # 7: browser sessions are tokens too, so logging out revokes them on the server
    """
    ALTER TABLE api_tokens ADD COLUMN kind TEXT NOT NULL DEFAULT 'api';
    """,
)
