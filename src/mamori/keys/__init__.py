"""Key and seed inventory with spread rules enforced (ISM 28–29)."""
