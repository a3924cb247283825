"""Risk pages: register and heat maps, scenarios, inventory, criteria, plan, sign-off."""
