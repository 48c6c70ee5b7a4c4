package main

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
)

// ErrNotFound is returned by Get for an unknown id.
var ErrNotFound = errors.New("user not found")

// User is one stored record; the JSON shape matches the user-manager
// function's.
type User struct {
	ID        int64     `json:"id,omitempty"`
	FirstName string    `json:"first_name"`
	LastName  string    `json:"last_name"`
	Email     string    `json:"email"`
	Username  string    `json:"username"`
	Phone     string    `json:"phone"`
	Street    string    `json:"street"`
	City      string    `json:"city"`
	Country   string    `json:"country"`
	CreatedAt time.Time `json:"created_at,omitzero"`
}

const schema = `CREATE TABLE IF NOT EXISTS users (
	id         BIGSERIAL PRIMARY KEY,
	first_name TEXT NOT NULL,
	last_name  TEXT NOT NULL,
	email      TEXT NOT NULL,
	username   TEXT NOT NULL DEFAULT '',
	phone      TEXT NOT NULL DEFAULT '',
	street     TEXT NOT NULL DEFAULT '',
	city       TEXT NOT NULL DEFAULT '',
	country    TEXT NOT NULL DEFAULT '',
	created_at TIMESTAMPTZ NOT NULL DEFAULT now()
)`

// Store keeps users in PostgreSQL.
type Store struct {
	pool *pgxpool.Pool
}

// Open connects to the database at dsn and creates the users table if it is
// missing.
func Open(ctx context.Context, dsn string) (*Store, error) {
	pool, err := pgxpool.New(ctx, dsn)
	if err != nil {
		return nil, fmt.Errorf("open database: %w", err)
	}
	if _, err := pool.Exec(ctx, schema); err != nil {
		pool.Close()
		return nil, fmt.Errorf("create users table: %w", err)
	}
	return &Store{pool: pool}, nil
}

// Close closes the connection pool.
func (s *Store) Close() { s.pool.Close() }

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// Insert stores u and returns it with its id and creation time.
func (s *Store) Insert(ctx context.Context, u User) (User, error) {
	err := s.pool.QueryRow(ctx,
		`INSERT INTO users (first_name, last_name, email, username, phone, street, city, country)
		 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id, created_at`,
		u.FirstName, u.LastName, u.Email, u.Username, u.Phone, u.Street, u.City, u.Country,
	).Scan(&u.ID, &u.CreatedAt)
	if err != nil {
		return User{}, fmt.Errorf("insert user: %w", err)
	}
	return u, nil
}

// Get returns the user with the given id, or an error wrapping ErrNotFound.
func (s *Store) Get(ctx context.Context, id int64) (User, error) {
	var u User
	err := s.pool.QueryRow(ctx,
		`SELECT id, first_name, last_name, email, username, phone, street, city, country, created_at
		 FROM users WHERE id = $1`, id,
	).Scan(&u.ID, &u.FirstName, &u.LastName, &u.Email, &u.Username, &u.Phone, &u.Street, &u.City, &u.Country, &u.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return User{}, fmt.Errorf("get user %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return User{}, fmt.Errorf("get user %d: %w", id, err)
	}
	return u, nil
}
