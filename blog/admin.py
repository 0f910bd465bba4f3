"""Posts in the admin, and the one place where blog and accounts meet: a user's posts inline."""

from django.contrib import admin
from django.contrib.auth import get_user_model

from accounts.admin import UserAdmin
from blog.models import Post


@admin.register(Post)
class PostAdmin(admin.ModelAdmin):
    list_display = ("body", "author", "timestamp")
    # One JOIN instead of one query per row for `author`, however many rows are shown.
    list_select_related = ["author"]
    search_fields = ["body", "author__username"]
    list_filter = ["timestamp"]
    date_hierarchy = "timestamp"
    # A search box instead of a <select> holding every user.
    autocomplete_fields = ["author"]


class PostInline(admin.TabularInline):
    model = Post
    fields = ["body", "timestamp"]
    extra = 0
    show_change_link = True


# accounts knows nothing of blog, so blog adds the inline to the user admin from accounts.
admin.site.unregister(get_user_model())


@admin.register(get_user_model())
class UserWithPostsAdmin(UserAdmin):
    inlines = [PostInline]

    def get_inlines(self, request, obj):
        # The add page is Django's short "username and password" form; posts come after.
        return self.inlines if obj else []
