"""Kartoteka: a self-hosted CRM built around the contact card."""
