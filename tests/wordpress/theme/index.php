<!doctype html><html><head><title><?php bloginfo('name'); ?></title><?php wp_head(); ?></head><body>
<?php if (is_home()) : ?><ul><?php foreach (get_posts(['numberposts' => 50]) as $p) : ?>
<li><a href="<?php echo esc_url(get_permalink($p)); ?>"><?php echo esc_html($p->post_title); ?></a></li>
<?php endforeach; ?></ul><?php endif; ?>
<?php while (have_posts()) : the_post(); ?><article><h1><?php the_title(); ?></h1><?php the_content(); ?></article><?php endwhile; ?>
</body></html>
